//! The first pass on a large machine, its system calls shared with helper threads.
//!
//! The first frame waits for every task's `stat` (its state: the header's counts, the
//! rows). At 50,000 threads that is 50,000 opens and reads with nothing kept yet, most of
//! them closed again (RLIMIT_NOFILE is 20,000 here): about 500 ms of one CPU, and the first
//! frame came after 640-850 ms. The kernel's side of those calls scales over CPUs: a C
//! loop opening, reading and closing the same 50,124 `stat` files took 540-595 ms on one
//! thread and 290-318 ms on two (three runs each, this 2-CPU machine).
//!
//! So the first pass lists every process first (its leader's `stat` and command line,
//! and its task directory when it has more threads), with the helpers listing from the
//! last process while the scan's thread lists from the first. Then helpers take the tasks
//! from the last one backwards, in blocks, and open and read their `stat` files, while the
//! scan's usual loop takes blocks from the front as it reaches them and reads them itself.
//! When the loop reaches a task a helper took, it waits for the helpers and from then on
//! takes each task's bytes (and descriptor, already counted in the budget) from here.
//! Each thread's share is what it managed, not a fixed half: the loop also parses and
//! builds every task, and with even halves it worked 100 ms after its helper was done.
//! Nothing is parsed or decided here: the same calls as the loop's, earlier and on other
//! CPUs. A task gone in between is the loop's usual vanished task; a kept descriptor of
//! one reads ESRCH at the next tick and is replaced, as any kept one is.

use std::mem::MaybeUninit;
use std::ops::Range;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rustix::io::Errno;

use super::fd_budget::FdBudget;
use super::kept_files::{ProcPath, list_numeric, open_rel, pread_whole};
use super::parse::parse_stat;

/// The first pass is shared on machines of this many tasks or more, the ones where the
/// first frame waits for the events' load too
/// ([`LARGE_MACHINE_TASKS`](super::events::source::LARGE_MACHINE_TASKS)). At 10,000 threads the
/// first frame comes after about 110 ms on one thread; a helper's copies of the bytes
/// (about 300 a task) would only add to the peak memory there.
pub const MIN_TASKS: usize = super::events::source::LARGE_MACHINE_TASKS;

/// Threads in all, at most (one per CPU below that). Measured on this machine's 2 CPUs
/// only; each helper holds copies of its tasks' bytes until the loop takes them, so more
/// CPUs do not get more helpers without a measurement saying they pay.
pub const MAX_THREADS: usize = 4;

/// A command line up to this long is read ahead (as the loop reads one: a longer one
/// takes more reads, left to it). At 25,000 single-threaded processes, the command lines
/// the loop read alone after the helpers were done were most of a 260 ms tail.
pub const CMDLINE_BUF: usize = 8 * 1024;

/// A `stat` is 52 numbers and a name of at most 64 bytes: about 300 bytes here, at most
/// about 1,100.
const STAT_BUF: usize = 4 * 1024;

/// A process's task directory, listed.
pub struct Listed {
    /// Open when the budget had room (already counted in it, as a kept directory is
    /// between ticks), else closed after listing.
    pub dir: Option<OwnedFd>,
    /// TIDs, sorted.
    pub tids: Vec<u32>,
    /// The first TID in the directory's own order (the leader, in a real procfs).
    pub first: Option<u32>,
    /// The directory's owner (the process's user), read while it was open.
    pub uid: Option<u32>,
}

/// One task's `stat`, read by a helper.
pub struct Stat {
    /// The bytes' length in the caller's buffer, or why there are none.
    pub read: Result<usize, Errno>,
    /// Its descriptor, when the helper could keep one: already counted in the budget.
    pub fd: Option<OwnedFd>,
}

struct Fetched {
    tid: u32,
    /// Where the bytes are in the part's arena, or why there are none; `None` once taken.
    read: Option<Result<(u32, u32), Errno>>,
    fd: Option<OwnedFd>,
    /// A leader's: its process's command line, the same way (`None` when not read, or
    /// longer than [`CMDLINE_BUF`]: the loop reads it then).
    cmdline: Option<Result<(u32, u32), Errno>>,
}

/// What a helper or a lister read: sorted by TID once done.
#[derive(Default)]
struct Part {
    stats: Vec<Fetched>,
    arena: Vec<u8>,
}

impl Part {
    /// Keeps `bytes`; returns where they are.
    fn keep(&mut self, bytes: &[u8]) -> (u32, u32) {
        let at = self.arena.len() as u32;
        self.arena.extend_from_slice(bytes);
        (at, bytes.len() as u32)
    }

    /// Copies bytes kept at `(at, len)` into `buf`; returns how many.
    fn copy(&self, (at, len): (u32, u32), buf: &mut [u8]) -> usize {
        let (at, len) = (at as usize, len as usize);
        let n = len.min(buf.len());
        buf[..n].copy_from_slice(&self.arena[at..at + n]);
        n
    }
}

/// The indices `[front, back)` nobody took yet, taken from either end by several
/// threads.
struct Ends(Mutex<(usize, usize)>);

impl Ends {
    fn new(n: usize) -> Self {
        Ends(Mutex::new((0, n)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, usize)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Up to `n` indices from the front.
    fn front(&self, n: usize) -> Option<Range<usize>> {
        let mut e = self.lock();
        let from = e.0;
        e.0 = (from + n).min(e.1);
        (from < e.0).then_some(from..e.0)
    }

    /// Up to `n` indices from the back.
    fn back(&self, n: usize) -> Option<Range<usize>> {
        let mut e = self.lock();
        let to = e.1;
        e.1 = to.saturating_sub(n).max(e.0);
        (e.1 < to).then_some(e.1..to)
    }

    /// Takes from the front through `at` (and at least `n`), when `at` is not taken from
    /// the back yet; returns the new front.
    fn front_through(&self, at: usize, n: usize) -> Option<usize> {
        let mut e = self.lock();
        if at >= e.1 {
            return None;
        }
        e.0 = (at + 1).max(e.0 + n).min(e.1);
        Some(e.0)
    }

    /// Nothing more is taken.
    fn close(&self) {
        let mut e = self.lock();
        e.0 = e.1;
    }
}

/// Tasks are taken in blocks of this many: about 2.5 ms of reads, the longest the loop
/// waits for a helper's last block.
const BLOCK: usize = 256;

/// The tasks to read, shared by the loop and the helpers.
struct Work {
    /// (TGID, TID, index in `dirs`), in the loop's order.
    items: Vec<(u32, u32, u32)>,
    /// Copies of the listed directories, by process: `TID/stat` is opened in its
    /// directory, a walk of two names instead of four from the root (through the root, a
    /// helper's half of 50,000 tasks took 45 ms longer than the loop's, about 15 %).
    dirs: Vec<Option<OwnedFd>>,
    root: OwnedFd,
    /// The tasks nobody took yet: the loop takes them from the front as it reaches them,
    /// the helpers from the back. So the shares follow what each thread manages (the loop
    /// also parses and builds every task: at 50,000 threads an even split left it
    /// working 100 ms after its helper was done).
    left: Ends,
}

/// Each process's listing (or why it has none) by TGID, sorted; `None` once taken.
type Listings = Vec<(u32, Option<Result<Listed, Errno>>)>;

/// The listings and the helpers' reads for one first pass.
pub struct Prefetch {
    listed: Listings,
    /// Per listed process (TGID, first item, items), sorted by TGID.
    spans: Vec<(u32, usize, usize)>,
    work: Option<Arc<Work>>,
    helpers: Vec<JoinHandle<Part>>,
    /// The leaders' `stat` and command lines, read with the listing (one part a lister).
    leaders: Vec<Part>,
    /// Joined.
    parts: Vec<Part>,
    /// Items below this are the loop's.
    mine: usize,
    /// The loop takes none: every task is the helpers' (tests: their path, whatever the
    /// race between the threads).
    helpers_only: bool,
    /// Descriptors counted in the budget for the listed directories, their copies and the
    /// helpers' files, and how many were handed to the loop: `finish` gives the rest back.
    reserved: usize,
    handed: usize,
    threads: usize,
}

impl Prefetch {
    /// Lists the processes `tgids` under `root` (see `list_all`) and starts `threads - 1`
    /// helpers reading the other threads' `stat` from the last one backwards. Descriptors
    /// they may keep (half of the budget's room, at most) are taken from `budget` now.
    pub fn start(
        root: BorrowedFd<'_>,
        tgids: &[u32],
        threads: usize,
        helpers_only: bool,
        budget: &mut FdBudget,
        dirbuf: &mut [MaybeUninit<u8>],
    ) -> Prefetch {
        let threads = threads.clamp(1, MAX_THREADS);
        // Directories and leaders' descriptors kept open until the loop takes them: a
        // quarter of the room at most (a machine of many small processes); the others are
        // closed once read, and the next tick opens them again.
        let room = budget.reserve(tgids.len().saturating_mul(2).min(budget.available() / 4));
        let left_room = AtomicUsize::new(room);
        let (listed, leaders) = list_all(root, tgids, threads, &left_room, dirbuf);
        let unused = left_room.into_inner();
        budget.released(unused);
        let mut p = Prefetch {
            listed,
            spans: Vec::new(),
            work: None,
            helpers: Vec::new(),
            leaders,
            parts: Vec::new(),
            mine: 0,
            helpers_only,
            reserved: room - unused,
            handed: 0,
            threads: 1,
        };
        let Ok(root) = root.try_clone_to_owned() else {
            return p;
        };
        if threads < 2 {
            return p;
        }
        let mut items = Vec::new();
        let mut dirs = Vec::new();
        for (tgid, l) in &p.listed {
            let Some(Ok(l)) = l else {
                continue;
            };
            // The leader was read with the listing.
            let others = l.tids.iter().filter(|&&tid| tid != *tgid);
            p.spans.push((*tgid, items.len(), others.clone().count()));
            let i = dirs.len() as u32;
            items.extend(others.map(|&tid| (*tgid, tid, i)));
            let copy = match &l.dir {
                Some(d) if budget.reserve(1) == 1 => {
                    p.reserved += 1;
                    d.try_clone().ok()
                }
                _ => None,
            };
            dirs.push(copy);
        }
        let n = items.len();
        let work = Arc::new(Work {
            items,
            dirs,
            root,
            left: Ends::new(n),
        });
        let each = budget.available() / 2 / (threads - 1);
        for _ in 1..threads {
            let w = Arc::clone(&work);
            let keep = budget.reserve(each);
            // Counted as the loop's from here: what the helper does not keep is given
            // back by `finish`.
            let spawned = std::thread::Builder::new()
                .name("tt-prefetch".into())
                .spawn(move || read_from_back(&w, keep));
            if let Ok(h) = spawned {
                p.reserved += keep;
                p.helpers.push(h);
                p.threads += 1;
            } else {
                budget.released(keep);
            }
        }
        p.work = Some(work);
        p
    }

    /// The threads that read (the loop's included).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// A process's listing, once; `None` when it was not listed here.
    pub fn take_listing(&mut self, tgid: u32) -> Option<Result<Listed, Errno>> {
        let i = self.listed.binary_search_by_key(&tgid, |(t, _)| *t).ok()?;
        let listed = self.listed[i].1.take()?;
        if let Ok(Listed { dir: Some(_), .. }) = &listed {
            self.handed += 1;
        }
        Some(listed)
    }

    /// The task's `stat` copied into `buf` when a helper read it (once); `None` when the
    /// loop reads it itself. The loop asks in its order: a task no helper took yet becomes
    /// the loop's (with the rest of its block); one a helper took waits for the helpers.
    pub fn take_stat(&mut self, tgid: u32, tid: u32, buf: &mut [u8]) -> Option<Stat> {
        if tid == tgid {
            return take(&mut self.leaders, tid, buf, &mut self.handed);
        }
        let work = self.work.as_ref()?;
        let i = self.spans.binary_search_by_key(&tgid, |s| s.0).ok()?;
        let (_, first, len) = self.spans[i];
        let at = first
            + work.items[first..first + len]
                .binary_search_by_key(&tid, |it| it.1)
                .ok()?;
        if at < self.mine {
            return None;
        }
        if !self.helpers.is_empty() {
            if !self.helpers_only {
                if let Some(front) = work.left.front_through(at, BLOCK) {
                    self.mine = front;
                    return None;
                }
                // Everything from here on was taken by the helpers; what is left before
                // it the loop passed without asking (a process it did not scan).
                work.left.close();
            }
            for h in self.helpers.drain(..) {
                // A helper that panicked: its tasks are read by the loop itself.
                if let Ok(part) = h.join() {
                    self.parts.push(part);
                }
            }
        }
        take(&mut self.parts, tid, buf, &mut self.handed)
    }

    /// The command line of the process whose leader is `tgid`, copied into `buf`, read
    /// with the leader's `stat` in the listing (once). `Err`: the open failed with this,
    /// or the read (as ESRCH).
    pub fn take_cmdline(&mut self, tgid: u32, buf: &mut [u8]) -> Option<Result<usize, Errno>> {
        for part in &mut self.leaders {
            let Ok(i) = part.stats.binary_search_by_key(&tgid, |f| f.tid) else {
                continue;
            };
            let read = part.stats[i].cmdline.take()?;
            return Some(read.map(|kept| part.copy(kept, buf)));
        }
        None
    }

    /// Stops the helpers (what they have not taken stays unread), closes what the loop did
    /// not take and gives the budget back what the loop does not hold.
    pub fn finish(self, budget: &mut FdBudget) {
        if let Some(w) = &self.work {
            w.left.close();
        }
        for h in self.helpers {
            drop(h.join());
        }
        budget.released(self.reserved.saturating_sub(self.handed));
    }
}

/// A helper: takes blocks of tasks from the back until none is left, opens and reads
/// their `stat`, keeping at most `keep` descriptors.
fn read_from_back(work: &Work, keep: usize) -> Part {
    let mut part = Part::default();
    let mut buf = vec![0u8; STAT_BUF];
    let mut path = ProcPath::new();
    let mut kept = 0;
    while let Some(block) = work.left.back(BLOCK) {
        for &(tgid, tid, dir) in &work.items[block] {
            path.clear();
            let base = match work.dirs.get(dir as usize) {
                Some(Some(d)) => d.as_fd(),
                _ => {
                    path.num(tgid).bytes(b"/task/");
                    work.root.as_fd()
                }
            };
            path.num(tid).bytes(b"/stat");
            let (read, fd) = match open_rel(base, path.as_bytes(), false) {
                Err(e) => (Err(e), None),
                Ok(fd) => match pread_whole(fd.as_fd(), &mut buf) {
                    Err(e) => (Err(e), None),
                    Ok(n) => {
                        let held = kept < keep;
                        kept += usize::from(held);
                        (Ok(part.keep(&buf[..n])), held.then_some(fd))
                    }
                },
            };
            part.stats.push(Fetched {
                tid,
                read: Some(read),
                fd,
                cmdline: None,
            });
        }
    }
    part.stats.sort_unstable_by_key(|f| f.tid);
    part
}

/// Lists the processes `tgids` with `threads` threads: this one from the first, the
/// others from the last, each taking the next process not taken, so a few large
/// processes at one end do not leave one thread with all the listing.
///
/// Each process's leader's `stat` is read first (it is read anyway) and its command line
/// with it. Its thread count says whether the task directory needs listing at all: a
/// single-threaded process's tasks are its leader (at 25,000 such processes the listing
/// took 160 ms on two threads, and the first frame came 425 ms after the start; without
/// listing their directories, 341 ms). The leader's count and its thread list change
/// together under the
/// kernel's tasklist lock, as `Scanner::threads_unchanged` relies on too. A directory
/// or a leader's descriptor stays open while `room` has room (taken from it).
fn list_all(
    root: BorrowedFd<'_>,
    tgids: &[u32],
    threads: usize,
    room: &AtomicUsize,
    dirbuf: &mut [MaybeUninit<u8>],
) -> (Listings, Vec<Part>) {
    let left = Ends::new(tgids.len());
    let claim = |front: bool| if front { left.front(1) } else { left.back(1) }.map(|r| r.start);
    let take_room = || {
        room.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    };
    let list = |front: bool, dirbuf: &mut [MaybeUninit<u8>]| {
        let mut out = Vec::new();
        let mut leaders = Part::default();
        let mut path = ProcPath::new();
        let mut buf = vec![0u8; STAT_BUF];
        let mut line = vec![0u8; CMDLINE_BUF];
        while let Some(i) = claim(front) {
            let tgid = tgids[i];
            let result = list_one(
                root,
                tgid,
                &mut path,
                &mut buf,
                &mut line,
                dirbuf,
                &mut leaders,
                &take_room,
            );
            out.push((tgid, Some(result)));
        }
        leaders.stats.sort_unstable_by_key(|f| f.tid);
        (out, leaders)
    };
    let buf_len = dirbuf.len();
    let (mut listed, parts) = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("tt-prefetch".into())
                    .spawn_scoped(s, || list(false, &mut vec![MaybeUninit::uninit(); buf_len]))
                    .ok()
            })
            .collect();
        let (mut listed, leaders) = list(true, dirbuf);
        let mut parts = vec![leaders];
        for h in helpers {
            // A lister that panicked: its processes are listed by the loop itself.
            if let Ok((more, leaders)) = h.join() {
                listed.extend(more);
                parts.push(leaders);
            }
        }
        (listed, parts)
    });
    listed.sort_unstable_by_key(|(tgid, _)| *tgid);
    (listed, parts)
}

/// One process of [`list_all`]: its leader's `stat` and command line into `leaders`, its
/// task directory listed when it has more than one thread.
#[allow(clippy::too_many_arguments)]
fn list_one(
    root: BorrowedFd<'_>,
    tgid: u32,
    path: &mut ProcPath,
    buf: &mut [u8],
    line: &mut [u8],
    dirbuf: &mut [MaybeUninit<u8>],
    leaders: &mut Part,
    take_room: &impl Fn() -> bool,
) -> Result<Listed, Errno> {
    path.clear()
        .num(tgid)
        .bytes(b"/task/")
        .num(tgid)
        .bytes(b"/stat");
    let stat = open_rel(root, path.as_bytes(), false)?;
    let n = pread_whole(stat.as_fd(), buf)?;
    let threads = parse_stat(&buf[..n]).map(|s| s.num_threads);
    // The stat file's owner is the directory's (both are the task's, from the kernel's
    // `task_dump_owner`).
    let uid = rustix::fs::fstat(&stat).ok().map(|st| st.st_uid);
    let kept = leaders.keep(&buf[..n]);
    let cmdline = read_cmdline(root, tgid, path, line, leaders);
    leaders.stats.push(Fetched {
        tid: tgid,
        read: Some(Ok(kept)),
        fd: take_room().then_some(stat),
        cmdline,
    });
    if threads == Some(1) {
        return Ok(Listed {
            dir: None,
            tids: vec![tgid],
            first: Some(tgid),
            uid,
        });
    }
    path.clear().num(tgid).bytes(b"/task");
    let dir = open_rel(root, path.as_bytes(), true)?;
    let mut tids = Vec::new();
    let first = list_numeric(dir.as_fd(), dirbuf, &mut tids)?;
    Ok(Listed {
        dir: take_room().then_some(dir),
        tids,
        first,
        uid,
    })
}

/// A process's command line kept in `part`, as the loop reads one: `None` when it fills
/// `line` (the loop reads such a one itself, in more reads).
fn read_cmdline(
    root: BorrowedFd<'_>,
    tgid: u32,
    path: &mut ProcPath,
    line: &mut [u8],
    part: &mut Part,
) -> Option<Result<(u32, u32), Errno>> {
    path.clear().num(tgid).bytes(b"/cmdline");
    let fd = match open_rel(root, path.as_bytes(), false) {
        Ok(fd) => fd,
        Err(e) => return Some(Err(e)),
    };
    match pread_whole(fd.as_fd(), line) {
        Ok(n) if n >= line.len() => None,
        Ok(n) => Some(Ok(part.keep(&line[..n]))),
        Err(_) => Some(Err(Errno::SRCH)),
    }
}

/// A task's `stat` from `parts`, copied into `buf`, once; a descriptor handed over is
/// counted in `handed`.
fn take(parts: &mut [Part], tid: u32, buf: &mut [u8], handed: &mut usize) -> Option<Stat> {
    for part in parts {
        let Ok(i) = part.stats.binary_search_by_key(&tid, |f| f.tid) else {
            continue;
        };
        let f = &mut part.stats[i];
        let read = f.read.take()?;
        let fd = f.fd.take();
        *handed += usize::from(fd.is_some());
        let read = read.map(|kept| part.copy(kept, buf));
        return Some(Stat { read, fd });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_take_every_index_once() {
        let e = Ends::new(10);
        assert_eq!(e.front(1), Some(0..1));
        assert_eq!(e.back(4), Some(6..10));
        // Through index 3, at least 2 more: the front moves to 4.
        assert_eq!(e.front_through(3, 2), Some(4));
        assert_eq!(e.back(4), Some(4..6));
        // Nothing left: the index is the back's.
        assert_eq!(e.front_through(5, 2), None);
        assert_eq!(e.front(1), None);
        assert_eq!(e.back(1), None);
        let e = Ends::new(3);
        e.close();
        assert_eq!(e.back(1), None);
    }
}
