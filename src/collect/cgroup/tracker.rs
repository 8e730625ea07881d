//! Which cgroup each task is in, kept from tick to tick, and the facts of those cgroups.
//!
//! Reading `/proc/TGID/task/TID/cgroup` for every task every tick is what this avoids: on
//! this kind of machine (2 CPUs, kernel 6.18, 10,000 threads) one read costs 7.9 µs with
//! open and close and no less through a kept descriptor (the kernel takes the global
//! cgroup mutex for each), against about 7 µs for a task's whole tick today: it would
//! double the tick. Reading the cgroups' member lists instead (`cgroup.procs`, `tasks`,
//! `cgroup.threads`) costs what the cgroup holds: measured 3.0 ms for a fresh read of the
//! v1 root's `cgroup.procs` with 10,000 threads in it (the kernel builds and sorts a list
//! of every task), 0.45 ms for v2's `cgroup.procs` and 2.3 ms for `cgroup.threads`: 4 %
//! of a 69 ms tick for each hierarchy, over the 5 % budget with two. (A kept descriptor
//! of a v1 list is cheaper but serves the list built at open time: stale.)
//!
//! So a task's file is read only when something says it may have changed:
//! - a process seen for the first time: its leader, and up to 31 of its other threads
//!   spread over it (all of them for `--json`, or when they disagree): the threads of a
//!   process almost always share their cgroup, and a new thread starts in its creator's;
//! - a process whose leader changed its name (exec: runc, systemd and `systemd-run` move a
//!   process into its cgroup between fork and exec), or whose cgroup was removed or made
//!   again (its tasks must have moved out first): its leader, then its threads as above;
//! - the new threads of a process whose threads are in different cgroups;
//! - a rotating few: the leaders of 4 + 1/32 of the processes and 2 + 1/1024 of the tasks
//!   each tick, which finds a process moved by hand (`echo PID > cgroup.procs`) within
//!   about 32 ticks and a thread moved on its own within about 1,000.
//!
//! Measured with `cargo run --release --example cgroup_cost -- 1000 10000` (load average
//! 7-8 on 2 CPUs, two runs): at 10,000 threads the cgroup step costs 0.6 % of the scan
//! (284-311 µs against 50 ms, 20-24 task files a tick), at 1,000 threads 4.1-4.2 %
//! (249-260 µs against 6.2-6.6 ms, of which about half is the cgroup's own files). With
//! twice the turns (8 + 1/32 leaders, 4 + 1/512 threads) it was 0.8 % and 4.6 %. The first
//! sight of 10,000 threads in one process reads 32 files (about 1 ms); `--json` reads all
//! of them (47-49 ms, once). Live, `cargo bench --bench refresh -- --sizes 1000,10000
//! --quick --baseline <the build before cgroups>`, two runs: the whole process's CPU per
//! refresh at 10,000 threads 60.1 ms against the baseline's 60.8 (the second run's baseline
//! was an outlier at 124 against our 62.4), at 1,000 threads 9.2 and 9.45 ms against 9.0
//! (+2 % and +5 %); first full frame unchanged (the quick first pass reads no cgroups).
//! Each cgroup that holds a task then has a few small files read per tick (see `facts`).

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use super::facts::{BoxKey, MountFds, Reader};
use super::mounts::Mounts;
use super::parse::parse_task_cgroup;
use super::{CgroupInfo, Cgroups, ProcCgroup, Why};
use crate::collect::kept_files::{ProcPath, open_rel, pread_whole};
use crate::collect::{Comm, ProcessInfo};

/// Threads read besides the leader when a process is first seen.
const SAMPLE: usize = 31;
/// A compaction of the caches runs this often (ticks).
const COMPACT_EVERY: u64 = 256;

/// Slot = one distinct content of a task's cgroup file.
type Slot = u32;

#[derive(Debug)]
struct SlotEntry {
    content: Vec<u8>,
    group: Result<u32, Why>,
}

#[derive(Debug)]
struct BoxState {
    key: BoxKey,
    /// The directory's inode last tick: another one now means removed and made again.
    ino: u64,
    /// Removed (or made again) since last tick: its tasks are read again.
    gone: bool,
    used: bool,
}

#[derive(Debug)]
struct ProcEntry {
    tgid: u32,
    start_ticks: u64,
    comm: Comm,
    slot: Result<Slot, Why>,
    /// Threads in another cgroup than the leader's, sorted by TID.
    threads: Vec<(u32, Result<Slot, Why>)>,
    /// Every TID seen, sorted: kept only for processes whose threads disagree, to spot
    /// their new threads.
    known: Vec<u32>,
}

pub struct CgroupTracker {
    proc_root: PathBuf,
    mounts: Option<(Mounts, MountFds)>,
    procs: Vec<ProcEntry>,
    slots: Vec<SlotEntry>,
    slot_ids: HashMap<Vec<u8>, Slot>,
    boxes: Vec<BoxState>,
    box_ids: HashMap<BoxKey, u32>,
    tick: u64,
    leader_cursor: usize,
    thread_cursor: usize,
    buf: Vec<u8>,
    /// The cgroup files' buffer (lent to the `Reader` for a tick).
    facts_buf: Vec<u8>,
    path: ProcPath,
    /// Task cgroup files read so far (for tests and `examples/cgroup_cost.rs`).
    pub task_reads: u64,
}

impl CgroupTracker {
    pub fn new(proc_root: impl Into<PathBuf>) -> Self {
        CgroupTracker {
            proc_root: proc_root.into(),
            mounts: None,
            procs: Vec::new(),
            slots: Vec::new(),
            slot_ids: HashMap::new(),
            boxes: Vec::new(),
            box_ids: HashMap::new(),
            tick: 0,
            leader_cursor: 0,
            thread_cursor: 0,
            buf: vec![0; 64 * 1024],
            facts_buf: vec![0; 16 * 1024],
            path: ProcPath::new(),
            task_reads: 0,
        }
    }

    /// Reads what changed and returns the cgroups of `processes` (sorted by TGID, as the
    /// scanner makes them). `root` is the /proc root. `exact`: read every thread of a new
    /// process (`--json`), not a sample.
    pub fn refresh(
        &mut self,
        root: BorrowedFd<'_>,
        processes: &[ProcessInfo],
        exact: bool,
    ) -> Cgroups {
        self.tick += 1;
        if self.mounts.is_none() {
            let m = Mounts::read(&self.proc_root);
            let fds = MountFds::open(&m);
            self.mounts = Some((m, fds));
        }
        let Some((mounts, fds)) = self.mounts.take() else {
            return Cgroups::unavailable(Why::NotMounted);
        };
        let mut buf = std::mem::take(&mut self.facts_buf);
        let mut reader = Reader {
            mounts: &mounts,
            fds: &fds,
            buf: &mut buf,
            levels: HashMap::new(),
        };
        // The cgroups in use last tick first: one removed since sends its tasks to be read.
        let mut facts: Vec<Option<CgroupInfo>> = Vec::with_capacity(self.boxes.len());
        for b in &mut self.boxes {
            if !b.used {
                facts.push(None);
                continue;
            }
            let info = reader.facts(&b.key);
            b.gone = info.limit == Err(Why::Vanished) || (b.ino != 0 && info.ino != b.ino);
            facts.push(Some(info));
            b.used = false;
        }
        self.follow(root, processes, exact);
        let out = self.output(processes, &mut reader, facts);
        self.facts_buf = buf;
        self.mounts = Some((mounts, fds));
        if self.tick.is_multiple_of(COMPACT_EVERY) {
            self.compact();
        }
        out
    }

    /// Brings every process's entry up to date, reading only what may have changed.
    fn follow(&mut self, root: BorrowedFd<'_>, processes: &[ProcessInfo], exact: bool) {
        let old = std::mem::take(&mut self.procs);
        let mut old_it = old.into_iter().peekable();
        let mut procs = Vec::with_capacity(processes.len());
        let n = processes.len().max(1);
        let rotate = 4 + processes.len() / 32;
        let first = self.leader_cursor % n;
        for (i, p) in processes.iter().enumerate() {
            let Some(lead) = p.leader().or(p.tasks.first()) else {
                continue;
            };
            while old_it.next_if(|o| o.tgid < p.tgid).is_some() {}
            let kept = old_it
                .next_if(|o| o.tgid == p.tgid)
                .filter(|o| o.start_ticks == lead.start_ticks);
            let Some(mut e) = kept else {
                procs.push(self.first_read(root, p, exact));
                continue;
            };
            let in_turn = (i + n - first) % n < rotate;
            let gone = |s: &Result<Slot, Why>, t: &Self| {
                s.as_ref().ok().is_some_and(|s| {
                    t.slots[*s as usize]
                        .group
                        .is_ok_and(|g| t.boxes[g as usize].gone)
                })
            };
            if e.comm != lead.comm || gone(&e.slot, self) || in_turn {
                let now = self.read_task(root, p.tgid, lead.tid);
                if now != e.slot {
                    procs.push(self.first_read(root, p, exact));
                    continue;
                }
                // Renamed (or exec'd) in place: nothing moved.
                e.comm = lead.comm.clone();
            }
            if !e.known.is_empty() {
                // Threads in different cgroups: the new ones and those in a removed cgroup
                // are read.
                let mut threads = Vec::with_capacity(e.threads.len());
                let mut known = Vec::with_capacity(p.tasks.len());
                for t in &p.tasks {
                    if t.tid == lead.tid {
                        known.push(t.tid);
                        continue;
                    }
                    let was = e
                        .threads
                        .binary_search_by_key(&t.tid, |x| x.0)
                        .map(|j| e.threads[j].1)
                        .unwrap_or(e.slot);
                    let now = if e.known.binary_search(&t.tid).is_err() || gone(&was, self) {
                        self.read_task(root, p.tgid, t.tid)
                    } else {
                        was
                    };
                    known.push(t.tid);
                    if now != e.slot && now != Err(Why::Vanished) {
                        threads.push((t.tid, now));
                    }
                }
                known.sort_unstable();
                threads.sort_unstable_by_key(|x| x.0);
                e.threads = threads;
                e.known = known;
            }
            procs.push(e);
        }
        self.leader_cursor = first + rotate;
        self.procs = procs;
        self.rotate_threads(root, processes);
    }

    /// Reads a few threads in turn; one found elsewhere than assumed has its process read
    /// again whole.
    fn rotate_threads(&mut self, root: BorrowedFd<'_>, processes: &[ProcessInfo]) {
        let total: usize = processes.iter().map(|p| p.tasks.len()).sum();
        // On the first tick everything was just read.
        if total == 0 || self.tick == 1 {
            return;
        }
        let count = (2 + total / 1024).min(total);
        let start = self.thread_cursor % total;
        self.thread_cursor = start + count;
        let mut picks: Vec<usize> = (0..count).map(|k| (start + k) % total).collect();
        picks.sort_unstable();
        let (mut pi, mut base) = (0, 0);
        for p in processes {
            let len = p.tasks.len();
            while pi < picks.len() && picks[pi] < base + len {
                let t = &p.tasks[picks[pi] - base];
                pi += 1;
                if t.is_leader() {
                    continue;
                }
                let Ok(i) = self.procs.binary_search_by_key(&p.tgid, |e| e.tgid) else {
                    continue;
                };
                let e = &self.procs[i];
                let assumed = e
                    .threads
                    .binary_search_by_key(&t.tid, |x| x.0)
                    .map(|j| e.threads[j].1)
                    .unwrap_or(e.slot);
                let now = self.read_task(root, p.tgid, t.tid);
                if now != assumed && now != Err(Why::Vanished) {
                    let mut fresh = self.read_all(root, p);
                    fresh.known.sort_unstable();
                    self.procs[i] = fresh;
                }
            }
            base += len;
            if pi == picks.len() {
                break;
            }
        }
    }

    /// A process read as if first seen: its leader, then a sample of its threads (all of
    /// them when `exact`, or when the sample disagrees with the leader).
    fn first_read(&mut self, root: BorrowedFd<'_>, p: &ProcessInfo, exact: bool) -> ProcEntry {
        let lead = p.leader().or(p.tasks.first());
        let (lead_tid, start_ticks, comm) = match lead {
            Some(l) => (l.tid, l.start_ticks, l.comm.clone()),
            None => (p.tgid, 0, Comm::EMPTY),
        };
        let slot = self.read_task(root, p.tgid, lead_tid);
        let others: Vec<u32> = p
            .tasks
            .iter()
            .map(|t| t.tid)
            .filter(|&t| t != lead_tid)
            .collect();
        if others.is_empty() {
            return ProcEntry {
                tgid: p.tgid,
                start_ticks,
                comm,
                slot,
                threads: Vec::new(),
                known: Vec::new(),
            };
        }
        let sample: Vec<u32> = if exact || others.len() <= SAMPLE {
            others.clone()
        } else {
            (0..SAMPLE)
                .map(|k| others[k * others.len() / SAMPLE])
                .collect()
        };
        let mut disagree = false;
        for &tid in &sample {
            let s = self.read_task(root, p.tgid, tid);
            if s != slot && s != Err(Why::Vanished) {
                disagree = true;
                break;
            }
        }
        if !disagree {
            return ProcEntry {
                tgid: p.tgid,
                start_ticks,
                comm,
                slot,
                threads: Vec::new(),
                known: Vec::new(),
            };
        }
        let mut e = self.read_all(root, p);
        e.known.sort_unstable();
        e
    }

    /// Every task of the process read.
    fn read_all(&mut self, root: BorrowedFd<'_>, p: &ProcessInfo) -> ProcEntry {
        let lead = p.leader().or(p.tasks.first());
        let (lead_tid, start_ticks, comm) = match lead {
            Some(l) => (l.tid, l.start_ticks, l.comm.clone()),
            None => (p.tgid, 0, Comm::EMPTY),
        };
        let slot = self.read_task(root, p.tgid, lead_tid);
        let mut threads = Vec::new();
        let mut known = Vec::with_capacity(p.tasks.len());
        for t in &p.tasks {
            known.push(t.tid);
            if t.tid == lead_tid {
                continue;
            }
            let s = self.read_task(root, p.tgid, t.tid);
            if s != slot && s != Err(Why::Vanished) {
                threads.push((t.tid, s));
            }
        }
        threads.sort_unstable_by_key(|x| x.0);
        ProcEntry {
            tgid: p.tgid,
            start_ticks,
            comm,
            slot,
            threads,
            known,
        }
    }

    /// One task's cgroup file, as a slot (its content interned).
    fn read_task(&mut self, root: BorrowedFd<'_>, tgid: u32, tid: u32) -> Result<Slot, Why> {
        self.task_reads += 1;
        self.path
            .clear()
            .num(tgid)
            .bytes(b"/task/")
            .num(tid)
            .bytes(b"/cgroup");
        let n = open_rel(root, self.path.as_bytes(), false)
            .and_then(|fd| pread_whole(fd.as_fd(), &mut self.buf))
            .map_err(|e| match e {
                rustix::io::Errno::ACCESS | rustix::io::Errno::PERM => Why::Denied,
                rustix::io::Errno::NOENT | rustix::io::Errno::SRCH => Why::Vanished,
                _ => Why::Malformed,
            })?;
        let content = &self.buf[..n];
        if let Some(&s) = self.slot_ids.get(content) {
            return Ok(s);
        }
        let group = match parse_task_cgroup(content).as_ref().and_then(BoxKey::of) {
            Some(key) => Ok(match self.box_ids.get(&key) {
                Some(&b) => b,
                None => {
                    let b = self.boxes.len() as u32;
                    self.box_ids.insert(key.clone(), b);
                    self.boxes.push(BoxState {
                        key,
                        ino: 0,
                        gone: false,
                        used: false,
                    });
                    b
                }
            }),
            // Empty (the task exited mid-read) or nothing we can parse.
            None if n == 0 => return Err(Why::Vanished),
            None => Err(Why::Malformed),
        };
        let s = self.slots.len() as Slot;
        self.slot_ids.insert(content.to_vec(), s);
        self.slots.push(SlotEntry {
            content: content.to_vec(),
            group,
        });
        Ok(s)
    }

    /// The snapshot's view: every cgroup in use with its facts, every process's cgroup.
    fn output(
        &mut self,
        processes: &[ProcessInfo],
        reader: &mut Reader<'_>,
        mut facts: Vec<Option<CgroupInfo>>,
    ) -> Cgroups {
        let mut index: Vec<Option<u32>> = vec![None; self.boxes.len()];
        let mut groups: Vec<CgroupInfo> = Vec::new();
        facts.resize(self.boxes.len(), None);
        let mut group_of = |slot: Result<Slot, Why>,
                            slots: &[SlotEntry],
                            boxes: &mut [BoxState]|
         -> Result<u32, Why> {
            let b = slots[slot? as usize].group?;
            if let Some(i) = index[b as usize] {
                return Ok(i);
            }
            let st = &mut boxes[b as usize];
            let info = match facts[b as usize].take() {
                Some(f) if !st.gone => f,
                _ => reader.facts(&st.key),
            };
            st.used = true;
            st.gone = false;
            st.ino = info.ino;
            let i = groups.len() as u32;
            groups.push(info);
            index[b as usize] = Some(i);
            Ok(i)
        };
        let mut procs = Vec::with_capacity(self.procs.len());
        for e in &self.procs {
            let group = group_of(e.slot, &self.slots, &mut self.boxes);
            let threads = e
                .threads
                .iter()
                .map(|&(tid, s)| (tid, group_of(s, &self.slots, &mut self.boxes)))
                .filter(|(_, g)| *g != group)
                .collect();
            procs.push(ProcCgroup {
                tgid: e.tgid,
                group,
                threads,
            });
        }
        let _ = processes;
        Cgroups {
            unavailable: None,
            groups,
            procs,
        }
    }

    /// Drops the slots and cgroups no process uses any more.
    fn compact(&mut self) {
        let mut slot_used = vec![false; self.slots.len()];
        for e in &self.procs {
            for s in std::iter::once(&e.slot)
                .chain(e.threads.iter().map(|t| &t.1))
                .flatten()
            {
                slot_used[*s as usize] = true;
            }
        }
        if slot_used.iter().all(|u| *u) {
            return;
        }
        let mut slot_map = vec![None; self.slots.len()];
        let mut box_map: Vec<Option<u32>> = vec![None; self.boxes.len()];
        let old_slots = std::mem::take(&mut self.slots);
        let old_boxes: Vec<Option<BoxState>> = std::mem::take(&mut self.boxes)
            .into_iter()
            .map(Some)
            .collect();
        let mut old_boxes = old_boxes;
        self.slot_ids.clear();
        self.box_ids.clear();
        for (i, mut s) in old_slots.into_iter().enumerate() {
            if !slot_used[i] {
                continue;
            }
            if let Ok(b) = s.group {
                let nb = match box_map[b as usize] {
                    Some(nb) => nb,
                    None => {
                        let Some(st) = old_boxes[b as usize].take() else {
                            continue;
                        };
                        let nb = self.boxes.len() as u32;
                        self.box_ids.insert(st.key.clone(), nb);
                        self.boxes.push(st);
                        box_map[b as usize] = Some(nb);
                        nb
                    }
                };
                s.group = Ok(nb);
            }
            slot_map[i] = Some(self.slots.len() as Slot);
            self.slot_ids
                .insert(s.content.clone(), self.slots.len() as Slot);
            self.slots.push(s);
        }
        let remap = |s: &mut Result<Slot, Why>| {
            if let Ok(v) = s {
                *s = slot_map[*v as usize].ok_or(Why::NotRead);
            }
        };
        for e in &mut self.procs {
            remap(&mut e.slot);
            for t in &mut e.threads {
                remap(&mut t.1);
            }
        }
    }

    /// Cgroups in the cache (for tests).
    pub fn cached_cgroups(&self) -> usize {
        self.boxes.len()
    }
}
