//! One full scan of /proc into a `Snapshot`.
//!
//! The hot path reads two small files per task (`stat`, `schedstat`) into one reused buffer
//! with hand-written parsers; `status` is read only for the tasks in the `DetailPlan`.
//! A task that vanishes mid-scan is normal (counted, skipped); one that refuses us is kept
//! as a marked row. Nothing here panics on what /proc returns.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::parse::{parse_sched_migrations, parse_schedstat, parse_stat, parse_status};
use super::snapshot::*;
use super::system::read_system;
use super::topology::TopologyCache;
use super::users::UserNames;

/// Which tasks get the expensive `status` read this tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailPlan {
    /// Every task (a sort or filter on a detail column, or `--json`).
    pub all: bool,
    /// Otherwise only these TIDs (the rows on screen and the selection).
    pub tids: HashSet<u32>,
    /// The thread group whose tasks also get `sched` (exact migration counts) read:
    /// the selected process, for the placement pane. `all` reads it for every task.
    pub sched_tgid: Option<u32>,
}

impl DetailPlan {
    pub fn all() -> Self {
        DetailPlan {
            all: true,
            tids: HashSet::new(),
            sched_tgid: None,
        }
    }
    fn wants(&self, tid: u32) -> bool {
        self.all || self.tids.contains(&tid)
    }
}

/// Longest command line kept; longer ones are cut (the screen shows far less).
const CMDLINE_MAX: usize = 16 * 1024;

pub struct Scanner {
    root: PathBuf,
    buf: Vec<u8>,
    path: PathBuf,
    /// argv per process identity and leader comm: re-read only when a process appears or
    /// exec changes its name, not every tick.
    cmdlines: HashMap<(TaskKey, Vec<u8>), Result<Vec<u8>, Unreadable>>,
    users: UserNames,
    clk_tck: u64,
    page_size: u64,
    hidepid: bool,
    sys_root: PathBuf,
    topology: TopologyCache,
}

fn classify(e: &io::Error) -> Option<Unreadable> {
    match e.kind() {
        // ESRCH shows up as "other" when a task dies between open and read.
        io::ErrorKind::NotFound => None,
        io::ErrorKind::PermissionDenied => Some(Unreadable::Denied),
        _ if e.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error()) => None,
        _ => Some(Unreadable::Malformed),
    }
}

impl Scanner {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let hidepid = detect_hidepid(&root);
        Scanner {
            root,
            buf: Vec::with_capacity(4096),
            path: PathBuf::new(),
            cmdlines: HashMap::new(),
            users: UserNames::new(),
            clk_tck: rustix::param::clock_ticks_per_second(),
            page_size: rustix::param::page_size() as u64,
            hidepid,
            sys_root: PathBuf::from("/sys"),
            topology: TopologyCache::default(),
        }
    }

    /// Where sysfs is mounted (for tests: a fabricated tree).
    pub fn with_sys_root(mut self, sys: impl Into<PathBuf>) -> Self {
        self.sys_root = sys.into();
        self
    }

    /// Reads `path` whole into the reused buffer.
    fn read(&mut self, limit: usize) -> io::Result<()> {
        self.buf.clear();
        let f = File::open(&self.path)?;
        f.take(limit as u64).read_to_end(&mut self.buf)?;
        Ok(())
    }

    fn set_path(&mut self, parts: &[&dyn AsRef<Path>]) {
        self.path.clear();
        self.path.push(&self.root);
        for p in parts {
            self.path.push(p);
        }
    }

    pub fn scan(&mut self, plan: &DetailPlan) -> Snapshot {
        let started = now_boot_ns();
        let mut notes = ScanNotes {
            hidepid: self.hidepid,
            ..ScanNotes::default()
        };
        let mut tgids: Vec<u32> = match std::fs::read_dir(&self.root) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .collect(),
            Err(_) => Vec::new(),
        };
        tgids.sort_unstable();
        let mut processes = Vec::with_capacity(tgids.len());
        let mut live_cmdlines = HashSet::new();
        for tgid in tgids {
            if let Some(p) = self.scan_process(tgid, plan, &mut notes, &mut live_cmdlines) {
                processes.push(p);
            }
        }
        // Forget argv of processes that are gone so the cache is bounded by what runs.
        self.cmdlines.retain(|k, _| live_cmdlines.contains(k));
        let mut system = read_system(&self.root);
        system.topology = self.topology.refresh(&self.sys_root).to_vec();
        Snapshot {
            boot_ns: started,
            scan_ns: now_boot_ns().saturating_sub(started),
            clk_tck: self.clk_tck,
            page_size: self.page_size,
            processes,
            system,
            notes,
        }
    }

    fn scan_process(
        &mut self,
        tgid: u32,
        plan: &DetailPlan,
        notes: &mut ScanNotes,
        live: &mut HashSet<(TaskKey, Vec<u8>)>,
    ) -> Option<ProcessInfo> {
        let tgid_s = tgid.to_string();
        self.set_path(&[&tgid_s]);
        let uid = match std::fs::metadata(&self.path) {
            Ok(m) => Some(m.uid()),
            Err(e) if classify(&e).is_none() => {
                notes.vanished += 1;
                return None;
            }
            Err(_) => None,
        };
        self.set_path(&[&tgid_s, &"task"]);
        let (mut tids, tasks_error) = match std::fs::read_dir(&self.path) {
            Ok(rd) => (
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
                    .collect::<Vec<_>>(),
                None,
            ),
            Err(e) => match classify(&e) {
                None => {
                    notes.vanished += 1;
                    return None;
                }
                Some(why) => (vec![tgid], Some(why)),
            },
        };
        // Leader first, then by TID: the order the kernel created them in, mostly.
        tids.sort_unstable_by_key(|&t| (t != tgid, t));
        let mut tasks = Vec::with_capacity(tids.len());
        for tid in tids {
            if let Some(t) = self.scan_task(tgid, tid, plan, notes) {
                tasks.push(t);
            }
        }
        if tasks.is_empty() {
            // Every task exited while we looked: the process is gone.
            notes.vanished += 1;
            return None;
        }
        let first = &tasks[0];
        let ppid = first.ppid;
        let rss_bytes = first.rss_pages * self.page_size;
        let kernel = first.is_kernel_thread();
        let cmdline = if kernel || first.state == b'Z' {
            Ok(Vec::new())
        } else {
            let key = (first.key(), first.comm.clone());
            let cmd = match self.cmdlines.get(&key) {
                Some(c) => c.clone(),
                None => {
                    let c = self.read_cmdline(&tgid_s);
                    self.cmdlines.insert(key.clone(), c.clone());
                    c
                }
            };
            live.insert(key);
            cmd
        };
        let user = uid.and_then(|u| self.users.name(u));
        Some(ProcessInfo {
            tgid,
            ppid,
            uid,
            user,
            cmdline,
            rss_bytes,
            tasks,
            tasks_error,
        })
    }

    fn read_cmdline(&mut self, tgid_s: &str) -> Result<Vec<u8>, Unreadable> {
        self.set_path(&[&tgid_s, &"cmdline"]);
        match self.read(CMDLINE_MAX) {
            Ok(()) => {
                let mut v = self.buf.clone();
                while v.last() == Some(&0) {
                    v.pop();
                }
                Ok(v)
            }
            Err(e) => Err(classify(&e).unwrap_or(Unreadable::Absent)),
        }
    }

    fn scan_task(
        &mut self,
        tgid: u32,
        tid: u32,
        plan: &DetailPlan,
        notes: &mut ScanNotes,
    ) -> Option<TaskInfo> {
        let tgid_s = tgid.to_string();
        let tid_s = tid.to_string();
        self.set_path(&[&tgid_s, &"task", &tid_s, &"stat"]);
        if let Err(e) = self.read(4096) {
            return match classify(&e) {
                None => {
                    notes.vanished += 1;
                    None
                }
                Some(why) => {
                    notes.denied_tasks += u32::from(why == Unreadable::Denied);
                    Some(TaskInfo::unreadable(tid, tgid, why))
                }
            };
        }
        let mut task = match parse_stat(&self.buf) {
            Some(s) => TaskInfo {
                tid,
                tgid,
                comm: s.comm.to_vec(),
                state: s.state,
                ppid: s.ppid,
                flags: s.flags,
                utime_ticks: s.utime,
                stime_ticks: s.stime,
                priority: s.priority,
                nice: s.nice,
                num_threads: s.num_threads,
                start_ticks: s.starttime,
                rss_pages: s.rss_pages,
                processor: s.processor,
                rt_priority: s.rt_priority,
                policy: s.policy,
                schedstat: Err(Unreadable::Absent),
                detail: None,
                stat_error: None,
                migrations: None,
            },
            None => {
                notes.malformed += 1;
                return Some(TaskInfo::unreadable(tid, tgid, Unreadable::Malformed));
            }
        };
        self.set_path(&[&tgid_s, &"task", &tid_s, &"schedstat"]);
        task.schedstat = match self.read(256) {
            Ok(()) => parse_schedstat(&self.buf).ok_or(Unreadable::Malformed),
            Err(e) => Err(classify(&e).unwrap_or(Unreadable::Absent)),
        };
        if plan.wants(tid) {
            self.set_path(&[&tgid_s, &"task", &tid_s, &"status"]);
            task.detail = Some(match self.read(8192) {
                Ok(()) => parse_status(&self.buf).ok_or(Unreadable::Malformed),
                Err(e) => Err(classify(&e).unwrap_or(Unreadable::Absent)),
            });
        }
        if plan.all || plan.sched_tgid == Some(tgid) {
            self.set_path(&[&tgid_s, &"task", &tid_s, &"sched"]);
            task.migrations = Some(match self.read(16384) {
                Ok(()) => parse_sched_migrations(&self.buf).ok_or(Unreadable::Absent),
                Err(e) => Err(classify(&e).unwrap_or(Unreadable::Absent)),
            });
        }
        Some(task)
    }
}

pub fn now_boot_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// /proc mounted with hidepid (or subset=pid) hides other users' processes without a word;
/// we look at our own mount options once so the UI can say so.
fn detect_hidepid(root: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(root.join("self/mountinfo")) else {
        return false;
    };
    text.lines().any(|l| {
        let mut parts = l.split(" - ");
        let (Some(left), Some(right)) = (parts.next(), parts.next()) else {
            return false;
        };
        let mount_point = left.split(' ').nth(4);
        right.starts_with("proc ")
            && mount_point == root.to_str()
            && (right.contains("hidepid=")
                && !right.contains("hidepid=0")
                && !right.contains("hidepid=off")
                || right.contains("subset=pid"))
    })
}
