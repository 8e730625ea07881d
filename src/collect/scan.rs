//! One full scan of /proc into a `Snapshot`.
//!
//! The hot path reads two small files per task (`stat`, `schedstat`) with one `pread` each
//! through descriptors kept open from the previous tick (see `kept_files`), into one reused
//! buffer, with hand-written parsers. `status` is read only for the tasks in the
//! `DetailPlan`. Processes and tasks are kept sorted by id, so each tick merges the fresh
//! directory listing with what it kept in one pass, without hashing.
//! A task that vanishes mid-scan is normal (counted, skipped); one that refuses us is kept
//! as a marked row. Nothing here panics on what /proc returns.

use std::collections::HashSet;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, fstat, statat};
use rustix::io::Errno;

use super::fd_budget::FdBudget;
use super::kept_files::{
    ProcFiles, ProcPath, TaskFiles, list_numeric, open_rel, pread_whole, read_kept, tids_missing,
};
use super::parse::{
    parse_io, parse_sched_migrations, parse_schedstat, parse_stat, parse_statm, parse_status,
};
use super::prefetch::{Listed, Prefetch};
use super::snapshot::*;
use super::system::SystemFiles;
use super::task_iter::{TaskIter, TaskRec, TaskSource};
use super::topology::TopologyCache;
use super::users::UserNames;

/// Which tasks get the expensive `status` read this tick, and which processes' command
/// lines are re-read rather than taken from the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailPlan {
    /// Every task (a sort or filter on a detail column, or `--json`).
    pub all: bool,
    /// Otherwise only these TIDs: the rows on screen when a shown column needs a `status`
    /// field (affinity, voluntary and involuntary switches), the selected process's tasks
    /// when the placement pane shows their affinity, the explain card's task.
    pub tids: HashSet<u32>,
    /// The rows on screen (their TIDs): a process among them has its command line re-read
    /// every tick (setproctitle changes it in place). Nothing else is read for them.
    pub screen: HashSet<u32>,
    /// A shown column needs `status` of the rows on screen (they are in `tids`).
    pub screen_status: bool,
    /// The thread group whose tasks also get `sched` (exact migration counts) read:
    /// the selected process, for the placement pane. `all` reads it for every task.
    pub sched_tgid: Option<u32>,
    /// The process whose sharing (kcmp, namespaces) the share pane shows; computed by the
    /// collector thread when this or the set of tasks changes, not every tick.
    pub share_tgid: Option<u32>,
    /// The task the explain card describes: its wchan and current system call are read.
    pub explain_tid: Option<u32>,
    /// `-p`: only these thread groups are read (empty: every process), as
    /// [`Scanner::only`] does.
    pub pids: Vec<u32>,
    /// Every task's `io` (storage bytes read and written): `--json`, or a shown I/O column.
    /// One more open/read/close per task, so only when asked.
    pub io: bool,
    /// Every process's `statm` (VIRT, SHR): `--json`, or a shown memory column.
    pub memory: bool,
    /// Processes whose every task has its waits sampled (not read otherwise): the selected
    /// one and those with a process or pool row on screen, whose WHY verdicts and the why
    /// pane need all their threads, not only the rows drawn.
    pub why_tgids: Vec<u32>,
    /// Nothing on screen shows what tasks wait on (no WHY column or sort, no why pane,
    /// no explain card): sample none. Ten rounds a second of the rows on screen cost
    /// about as much as the whole scan at 1,000 threads on the /proc path.
    pub no_waits: bool,
}

impl DetailPlan {
    pub fn all() -> Self {
        DetailPlan {
            all: true,
            ..DetailPlan::default()
        }
    }
    /// `status` is read for this task.
    pub fn wants(&self, tid: u32) -> bool {
        self.all || self.tids.contains(&tid)
    }
    /// Whether going from `before` to this plan should scan at once rather than at the next
    /// tick: a sort on detail, a pane opened or a column set shown that needs fields the
    /// last scan did not read. Not for scrolling or moving the selection: at 50,000 threads
    /// every key would cost a scan.
    pub fn wants_scan_now(&self, before: &DetailPlan) -> bool {
        (self.all && !before.all)
            || (self.sched_tgid.is_some() && before.sched_tgid.is_none())
            || (self.explain_tid.is_some() && before.explain_tid.is_none())
            || (self.screen_status && !before.screen_status)
            || (self.io && !before.io)
            || (self.memory && !before.memory)
    }

    /// This process's command line is read fresh, not taken from the cache.
    fn shows(&self, tgid: u32) -> bool {
        self.wants(tgid) || self.screen.contains(&tgid)
    }
}

/// Longest command line kept; longer ones are cut (the screen shows far less).
const CMDLINE_MAX: usize = 16 * 1024;
/// `stat`, `schedstat` and `status` all fit: status is about 1.5 KiB on 6.18.
const READ_BUF: usize = 8 * 1024;
/// getdents buffer: about 1,000 task entries per call.
const DIR_BUF: usize = 32 * 1024;

pub struct Scanner {
    root: PathBuf,
    /// The /proc root, kept open: listed each tick and the base of every relative open.
    root_fd: Option<OwnedFd>,
    buf: Vec<u8>,
    dirbuf: Vec<MaybeUninit<u8>>,
    /// Scratch lists reused every tick.
    tgids: Vec<u32>,
    tids: Vec<u32>,
    /// What is kept per live process, sorted by TGID; `spare_procs` is the other half of
    /// the double buffer the merge writes into, so a steady tick does not allocate it.
    procs: Vec<ProcFiles>,
    spare_procs: Vec<ProcFiles>,
    path: ProcPath,
    budget: FdBudget,
    users: UserNames,
    clk_tck: u64,
    page_size: u64,
    hidepid: bool,
    sys_root: PathBuf,
    topology: TopologyCache,
    /// Set for the duration of `scan_first_pass`.
    skip_schedstat: bool,
    /// A leader's `stat` read before its process's tasks were (to see whether they need
    /// listing): (TID, length in `leader_buf`), used by `scan_task` instead of a re-read.
    pre_read: Option<(u32, usize)>,
    leader_buf: Vec<u8>,
    /// Scratch list for a process listed after all (see `scan_process`).
    more_tids: Vec<u32>,
    system_files: SystemFiles,
    /// /proc shows our own PID namespace (its `self` is us): then `loadavg`'s last PID
    /// says whether any task was created since the last listing.
    same_pid_ns: bool,
    /// `loadavg`'s (tasks on the machine, last PID handed out) at the last scan.
    last_pids: Option<(u64, u32)>,
    /// Tasks in the last snapshot.
    known_tasks: u64,
    /// `-p`: only these thread groups are read (sorted; empty: every process). /proc is
    /// then not listed, so a tick costs what their tasks cost, not what the machine's do.
    only: Vec<u32>,
    /// The BPF task iterator, when it loaded (see `task_iter`), and this tick's pass.
    iter: Option<IterPass>,
    /// Why there is no iterator, when one was asked for.
    iter_why_not: Option<std::sync::Arc<str>>,
    /// Each task's cgroup, kept between ticks (read again only on a sign of change).
    cgroups: super::cgroup::CgroupTracker,
    /// The root is a real procfs (not a fabricated tree): its task directories list the
    /// group leader first.
    procfs: bool,
    /// The first pass's listings and helper threads' reads (see `prefetch`), for the
    /// duration of that pass.
    prefetch: Option<Prefetch>,
    /// The first pass is shared with helper threads on a machine of at least this many
    /// tasks, by at most `first_pass_threads` threads in all (`None`: one per CPU this
    /// process may use, asked only on such a machine: it reads the cgroup's CPU quota).
    prefetch_min_tasks: usize,
    first_pass_threads: Option<usize>,
    /// Tests: the helpers read every task of the first pass.
    first_pass_helpers_only: bool,
    /// How many threads read the last first pass (1: this one alone), and how many of
    /// its tasks' `stat` a helper read.
    first_pass_threads_used: usize,
    first_pass_shared: usize,
}

/// One tick of the task iterator: every task (in TID order from iter/task, in the task
/// list's order from the walk), and per thread group the range of `order` (record
/// indices sorted by TGID, then TID) that holds its tasks.
struct IterPass {
    /// Holds the last pass's records (in the walk's mapping, or iter/task's buffer): read
    /// in place, decoded a task at a time.
    iter: TaskIter,
    /// (TID << 32 | record index), sorted: finds a task by TID.
    by_tid: Vec<u64>,
    /// Scratch: (TGID << 32 | rank in `by_tid`), sorted.
    keys: Vec<u64>,
    /// Scratch: each record's TGID, by record index.
    tgids: Vec<u32>,
    order: Vec<u32>,
    groups: Vec<(u32, u32, u32)>,
    /// This tick's pass succeeded: the records are fresh.
    fresh: bool,
}

impl IterPass {
    /// Reads every task and groups them by process. `Err`: the pass failed (why).
    fn run(&mut self) -> Result<(), String> {
        self.fresh = false;
        // Read a window at a time (the walk's records are never all mapped at once), in
        // the order they were written, once: each record's TGID is kept for the sort.
        let n = self.iter.pass()?;
        self.by_tid.clear();
        self.tgids.clear();
        for i in 0..n {
            let (tid, tgid) = self.iter.with_record(i, TaskRec::ids).unwrap_or((0, 0));
            self.by_tid.push((u64::from(tid) << 32) | i as u64);
            self.tgids.push(tgid);
        }
        // Sorted as plain integers, never records: sorting indices by a key looked up in
        // the records cost 4 % of the scan's CPU at 25,000 tasks. A task's rank in TID
        // order under its TGID puts each group's tasks in TID order whatever order the
        // records came in.
        self.by_tid.sort_unstable();
        self.keys.clear();
        let tgids = &self.tgids;
        self.keys
            .extend(self.by_tid.iter().enumerate().map(|(rank, &k)| {
                let tgid = tgids.get(k as u32 as usize).copied().unwrap_or(0);
                (u64::from(tgid) << 32) | rank as u64
            }));
        self.keys.sort_unstable();
        self.order.clear();
        let by_tid = &self.by_tid;
        self.order
            .extend(self.keys.iter().map(|&k| by_tid[k as u32 as usize] as u32));
        self.groups.clear();
        let mut i = 0;
        while i < self.keys.len() {
            let tgid = (self.keys[i] >> 32) as u32;
            let start = i;
            while i < self.keys.len() && (self.keys[i] >> 32) as u32 == tgid {
                i += 1;
            }
            self.groups.push((tgid, start as u32, i as u32));
        }
        self.fresh = true;
        Ok(())
    }

    /// Record `i` of the last pass, decoded.
    fn rec(&self, i: usize) -> Option<TaskRec> {
        self.iter.with_record(i, TaskRec::parse)
    }

    /// Where thread group `tgid`'s records are in `order` (empty: none listed).
    fn group_range(&self, tgid: u32) -> std::ops::Range<usize> {
        self.groups
            .binary_search_by_key(&tgid, |g| g.0)
            .map_or(0..0, |k| {
                self.groups[k].1 as usize..self.groups[k].2 as usize
            })
    }

    /// The records of thread group `tgid`, in TID order.
    fn group(&self, tgid: u32) -> impl Iterator<Item = TaskRec> + '_ {
        self.order[self.group_range(tgid)]
            .iter()
            .filter_map(|&i| self.rec(i as usize))
    }

    fn get(&self, tid: u32) -> Option<TaskRec> {
        self.by_tid
            .binary_search_by_key(&tid, |&k| (k >> 32) as u32)
            .ok()
            .and_then(|i| self.rec(self.by_tid[i] as u32 as usize))
    }
}

/// `None`: the task or process is gone (normal churn). ESRCH shows up when a task dies
/// between open and read.
fn classify(e: Errno) -> Option<Unreadable> {
    match e {
        Errno::NOENT | Errno::SRCH => None,
        Errno::ACCESS | Errno::PERM => Some(Unreadable::Denied),
        Errno::MFILE | Errno::NFILE => Some(Unreadable::NoDescriptors),
        _ => Some(Unreadable::Malformed),
    }
}

impl Scanner {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self::with_budget(root.into(), FdBudget::from_rlimit())
    }

    /// As `new`, but as if the process could hold only `fd_limit` descriptors: tests the
    /// fall-back to open/read/close without exhausting the real limit.
    pub fn with_fd_limit(root: impl Into<PathBuf>, fd_limit: usize) -> Self {
        Self::with_budget(root.into(), FdBudget::with_limit(fd_limit))
    }

    fn with_budget(root: PathBuf, budget: FdBudget) -> Self {
        let hidepid = detect_hidepid(&root);
        let same_pid_ns = std::fs::read_link(root.join("self"))
            .ok()
            .and_then(|l| l.to_str()?.parse::<u32>().ok())
            == Some(std::process::id());
        let root_fd = rustix::fs::open(
            &root,
            rustix::fs::OFlags::RDONLY
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .ok();
        let cgroups = super::cgroup::CgroupTracker::new(&root);
        // PROC_SUPER_MAGIC (include/uapi/linux/magic.h).
        let procfs = root_fd
            .as_ref()
            .and_then(|fd| rustix::fs::fstatfs(fd).ok())
            .is_some_and(|st| st.f_type == rustix::fs::PROC_SUPER_MAGIC);
        Scanner {
            root,
            procfs,
            root_fd,
            buf: vec![0; READ_BUF],
            dirbuf: vec![MaybeUninit::uninit(); DIR_BUF],
            tgids: Vec::new(),
            tids: Vec::new(),
            procs: Vec::new(),
            spare_procs: Vec::new(),
            path: ProcPath::new(),
            budget,
            users: UserNames::new(),
            clk_tck: rustix::param::clock_ticks_per_second(),
            page_size: rustix::param::page_size() as u64,
            hidepid,
            sys_root: PathBuf::from("/sys"),
            topology: TopologyCache::default(),
            skip_schedstat: false,
            pre_read: None,
            leader_buf: vec![0; READ_BUF],
            more_tids: Vec::new(),
            system_files: SystemFiles::default(),
            same_pid_ns,
            last_pids: None,
            known_tasks: 0,
            only: Vec::new(),
            iter: None,
            iter_why_not: None,
            cgroups,
            prefetch: None,
            prefetch_min_tasks: super::prefetch::MIN_TASKS,
            first_pass_threads: None,
            first_pass_threads_used: 1,
            first_pass_shared: 0,
            first_pass_helpers_only: false,
        }
    }

    /// Shares the first pass with helper threads, `threads` in all, from `min_tasks` tasks
    /// on the machine (tests: any machine is large).
    pub fn with_first_pass_threads(mut self, threads: usize, min_tasks: usize) -> Self {
        self.first_pass_threads = Some(threads.clamp(1, super::prefetch::MAX_THREADS));
        self.prefetch_min_tasks = min_tasks;
        self
    }

    /// Tests: in a shared first pass, the helpers read every task (the loop none), so their
    /// path is the one tested whichever thread would have been faster.
    #[doc(hidden)]
    pub fn first_pass_to_helpers_only(mut self) -> Self {
        self.first_pass_helpers_only = true;
        self
    }

    /// How many threads read the last first pass: 1 unless it was shared.
    pub fn first_pass_threads_used(&self) -> usize {
        self.first_pass_threads_used
    }

    /// How many tasks' `stat` helper threads read in the last first pass.
    pub fn first_pass_shared(&self) -> usize {
        self.first_pass_shared
    }

    /// Reads only the processes `pids` (thread group IDs; empty: every process) and the
    /// system-wide figures (CPU times, memory, load, uptime). A PID that is not a process's
    /// (gone, or a thread's) is simply not in the snapshot.
    pub fn only(mut self, pids: &[u32]) -> Self {
        self.only = pids.to_vec();
        self.only.sort_unstable();
        self.only.dedup();
        self
    }

    /// Reads per-task fields with the BPF task iterator when `mode` allows and it loads;
    /// otherwise /proc, and snapshots say why (`Snapshot::task_source`).
    pub fn with_task_iter(self, mode: super::events::Mode) -> Self {
        if self.root != Path::new("/proc") {
            return self.with_loaded_task_iter(Err(String::new()));
        }
        let loaded = TaskIter::start(mode);
        self.with_loaded_task_iter(loaded)
    }

    /// As `with_task_iter`, with an iterator already loaded (by the event source, which
    /// shares its parse of the kernel's BTF), or why there is none.
    pub fn with_loaded_task_iter(mut self, loaded: Result<TaskIter, String>) -> Self {
        self.set_task_iter(loaded);
        self
    }

    /// As `with_loaded_task_iter`, between scans: an iterator loaded in the background
    /// (`Feed::load_after_first_frame`) takes over from /proc at the next scan, and the
    /// descriptors kept for the tasks it reads are closed as it reads them.
    pub fn set_task_iter(&mut self, loaded: Result<TaskIter, String>) {
        if self.root != Path::new("/proc") {
            // The kernel's tasks are not a fabricated tree's.
            self.iter_why_not = Some("not reading the system's /proc".into());
            return;
        }
        match loaded {
            Ok(iter) => {
                self.iter_why_not = None;
                self.iter = Some(IterPass {
                    iter,
                    by_tid: Vec::new(),
                    keys: Vec::new(),
                    tgids: Vec::new(),
                    order: Vec::new(),
                    groups: Vec::new(),
                    fresh: false,
                })
            }
            Err(why) => self.iter_why_not = Some(why.into()),
        }
    }

    /// Reads /proc only, and snapshots say why not the iterator (`-p`, below).
    pub fn without_task_iter(mut self, why: &str) -> Self {
        self.iter_why_not = Some(why.into());
        self
    }

    /// Where sysfs is mounted (for tests: a fabricated tree).
    pub fn with_sys_root(mut self, sys: impl Into<PathBuf>) -> Self {
        self.sys_root = sys.into();
        self
    }

    /// Descriptors currently kept open across ticks (for benchmarks and diagnostics).
    pub fn kept_descriptors(&self) -> usize {
        self.budget.kept()
    }

    /// A quicker scan for the first frame: every task's `stat` (state, last CPU, CPU
    /// time, priorities, ...) but not its `schedstat`, which halves the files a first scan
    /// opens (20,000 at 10,000 threads). The first frame has no rates anyway; the snapshot
    /// says it lacks schedstat (`schedstat_read`) so rates are not computed against it. A
    /// full `scan` should follow at once, as the baseline for the first rates.
    pub fn scan_first_pass(&mut self, plan: &DetailPlan) -> Snapshot {
        self.skip_schedstat = true;
        self.first_pass_threads_used = 1;
        self.first_pass_shared = 0;
        let snap = self.scan(plan);
        self.skip_schedstat = false;
        snap
    }

    pub fn scan(&mut self, plan: &DetailPlan) -> Snapshot {
        let started = now_boot_ns();
        let mut notes = ScanNotes {
            hidepid: self.hidepid,
            ..ScanNotes::default()
        };
        let mut processes = Vec::with_capacity(self.procs.len() + 16);
        if let Some(pass) = &mut self.iter
            && let Err(e) = pass.run()
        {
            // Falls back to /proc for good: a pass that failed once would fail again.
            self.iter = None;
            self.iter_why_not = Some(format!("the task iterator failed: {e}").into());
        }
        if let Some(root_fd) = self.root_fd.take() {
            self.scan_processes(root_fd.as_fd(), plan, &mut notes, &mut processes);
            self.root_fd = Some(root_fd);
        }
        if let Some(pass) = &mut self.iter {
            // Read for this scan only: not resident until the next pass.
            pass.iter.release();
            pass.fresh = false;
        }
        // One tick earlier than the scan's start: start times are rounded down.
        let started_ticks = (started / (1_000_000_000 / self.clk_tck.max(1))).saturating_sub(1);
        if one_row_per_key(&mut processes, started_ticks) {
            self.close_files_not_in(&processes);
        }
        trim_task_lists(processes.iter().map(|p| p.tasks.len()).max().unwrap_or(0));
        self.known_tasks = processes.iter().map(|p| p.tasks.len() as u64).sum();
        let root_fd = self.root_fd.as_ref().map(|fd| fd.as_fd());
        let mut system = self.system_files.read(root_fd, &self.root);
        system.topology = self.topology.refresh(&self.sys_root).to_vec();
        let cgroups = match &self.root_fd {
            Some(fd) if !self.skip_schedstat => {
                self.cgroups.refresh(fd.as_fd(), &processes, plan.all)
            }
            _ => super::cgroup::Cgroups::unavailable(super::cgroup::Why::NotRead),
        };
        Snapshot {
            boot_ns: started,
            scan_ns: now_boot_ns().saturating_sub(started),
            clk_tck: self.clk_tck,
            page_size: self.page_size,
            processes,
            system,
            notes,
            shares: None,
            schedstat_read: !self.skip_schedstat,
            cgroups,
            events: Default::default(),
            waits: None,
            partial: !self.only.is_empty() || !plan.pids.is_empty(),
            task_source: match (&self.iter, &self.iter_why_not) {
                (Some(pass), _) => TaskSource::Iterator(pass.iter.kind()),
                (None, Some(why)) => TaskSource::ProcBecause(why.clone()),
                (None, None) => TaskSource::Proc,
            },
        }
    }

    /// Closes the kept files of tasks and processes the snapshot left out (`one_row_per_key`
    /// drops the earlier of two tasks with one key: it had exited). Kept, they stayed open
    /// until the next tick found them gone, beyond two a task and one a process: a churn
    /// test counted 414 descriptors for 165 tasks.
    fn close_files_not_in(&mut self, processes: &[ProcessInfo]) {
        let procs: HashSet<u32> = processes.iter().map(|p| p.tgid).collect();
        let tasks: HashSet<(u32, u32)> = processes
            .iter()
            .flat_map(|p| p.tasks.iter().map(|t| (p.tgid, t.tid)))
            .collect();
        let mut released = 0;
        let mut kept = Vec::with_capacity(self.procs.len());
        for mut pf in std::mem::take(&mut self.procs) {
            if !procs.contains(&pf.tgid) {
                released += pf.close();
                continue;
            }
            for tf in &mut pf.tasks {
                if !tasks.contains(&(pf.tgid, tf.tid)) {
                    released += std::mem::replace(tf, TaskFiles::new(tf.tid)).close();
                }
            }
            kept.push(pf);
        }
        self.procs = kept;
        self.budget.released(released);
    }

    fn scan_processes(
        &mut self,
        root: BorrowedFd<'_>,
        plan: &DetailPlan,
        notes: &mut ScanNotes,
        out: &mut Vec<ProcessInfo>,
    ) {
        let mut machine_tasks = None;
        if self.procs.is_empty() && self.only.is_empty() && plan.pids.is_empty() {
            // First scan (or everything vanished): grow the descriptor table once.
            machine_tasks = tasks_on_machine(root, &mut self.buf);
            if let Some(tasks) = machine_tasks {
                self.budget.presize_table(root, tasks);
            }
        }
        let mut tgids = std::mem::take(&mut self.tgids);
        let pids = self.system_files.pids(root);
        let nothing_new = self.same_pid_ns
            && !self.procs.is_empty()
            && pids.is_some()
            && pids == self.last_pids
            && pids.map(|(tasks, _)| tasks) == Some(self.known_tasks);
        if !self.only.is_empty() || !plan.pids.is_empty() {
            tgids.clear();
            tgids.extend_from_slice(if self.only.is_empty() {
                &plan.pids
            } else {
                &self.only
            });
            tgids.sort_unstable();
            tgids.dedup();
        } else if nothing_new {
            // No PID handed out since the last listing and as many tasks as we know:
            // no process can be missing from what is kept, so /proc is not listed (a
            // getdents over every process costs a dentry lookup each). The ones that
            // ended are found out by their kept files.
            tgids.clear();
            tgids.extend(self.procs.iter().map(|p| p.tgid));
        } else if list_numeric(root, &mut self.dirbuf, &mut tgids).is_err() {
            tgids.clear();
        }
        self.last_pids = pids;
        let fresh_iter = self.iter.as_ref().is_some_and(|p| p.fresh);
        let threads = || {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(super::prefetch::MAX_THREADS)
        };
        if self.skip_schedstat
            && !fresh_iter
            && machine_tasks.is_some_and(|n| n >= self.prefetch_min_tasks)
            && let threads = self.first_pass_threads.unwrap_or_else(threads)
            && threads > 1
        {
            let p = Prefetch::start(
                root,
                &tgids,
                threads,
                self.first_pass_helpers_only,
                &mut self.budget,
                &mut self.dirbuf,
            );
            self.first_pass_threads_used = p.threads();
            self.prefetch = Some(p);
        }
        let mut old = std::mem::take(&mut self.procs);
        let mut kept = std::mem::take(&mut self.spare_procs);
        let mut old_it = old.drain(..).peekable();
        for &tgid in &tgids {
            // Kept state of processes that exited since the last tick.
            while let Some(gone) = old_it.next_if(|o| o.tgid < tgid) {
                let n = gone.close();
                self.budget.released(n);
            }
            let mut pf = old_it.next_if(|o| o.tgid == tgid).unwrap_or(ProcFiles {
                tgid,
                task_dir: None,
                tasks: Vec::new(),
                spare: Vec::new(),
                cmdline: None,
                cmdline_fd: None,
            });
            match self.scan_process(root, &mut pf, plan, notes) {
                Some(p) => {
                    out.push(p);
                    kept.push(pf);
                }
                None => {
                    let n = pf.close();
                    self.budget.released(n);
                }
            }
        }
        for gone in old_it {
            let n = gone.close();
            self.budget.released(n);
        }
        if let Some(p) = self.prefetch.take() {
            p.finish(&mut self.budget);
        }
        self.procs = kept;
        self.spare_procs = old;
        self.tgids = tgids;
    }

    /// Opens (or reuses) the task directory and lists it; with it, the process's owner
    /// when the listing already read it (the first pass's). `Err(None)`: the process is
    /// gone; `Err(Some(why))`: it exists but its tasks cannot be listed.
    fn list_tasks(
        &mut self,
        root: BorrowedFd<'_>,
        pf: &mut ProcFiles,
        tids: &mut Vec<u32>,
    ) -> Result<(Option<OwnedFd>, Option<u32>), Option<Unreadable>> {
        if let Some(dir) = pf.task_dir.take() {
            // Counted again when the caller keeps it at the end of the tick.
            self.budget.released(1);
            if list_numeric(dir.as_fd(), &mut self.dirbuf, tids).is_ok() {
                return Ok((Some(dir), None));
            }
            // A dead process; its TGID may already be a new one's, so look again by name.
        }
        self.path.clear().num(pf.tgid).bytes(b"/task");
        let (dir, leader, owner) =
            match self.prefetch.as_mut().and_then(|p| p.take_listing(pf.tgid)) {
                Some(listed) => {
                    let Listed {
                        dir,
                        tids: listed,
                        first,
                        uid,
                    } = listed.map_err(classify)?;
                    *tids = listed;
                    if dir.is_some() {
                        // Counted again when the caller keeps it, as a kept one above.
                        self.budget.released(1);
                    }
                    // Not reopened when it was closed: the helpers read its tasks' files
                    // through the root, and the next tick lists it again.
                    (dir, first, uid)
                }
                None => {
                    let dir = open_rel(root, self.path.as_bytes(), true).map_err(classify)?;
                    let leader =
                        list_numeric(dir.as_fd(), &mut self.dirbuf, tids).map_err(classify)?;
                    (Some(dir), leader, None)
                }
            };
        if self.procfs && leader != Some(pf.tgid) {
            // `/proc/N` opens for any task, not only a leader: the process N died since
            // the listing and N is now a thread of another process, whose threads these
            // are. Listing them under N showed them twice (issue 19).
            return Err(None);
        }
        Ok((dir, owner))
    }

    fn scan_process(
        &mut self,
        root: BorrowedFd<'_>,
        pf: &mut ProcFiles,
        plan: &DetailPlan,
        notes: &mut ScanNotes,
    ) -> Option<ProcessInfo> {
        let tgid = pf.tgid;
        let mut tids = std::mem::take(&mut self.tids);
        // The iterator's tasks of this process; one it did not list (started since its
        // pass, or one it does not show: PID 1 of this machine's container is left out)
        // is read from /proc.
        let from_iter = self
            .iter
            .as_ref()
            .is_some_and(|p| p.fresh && !p.group_range(tgid).is_empty());
        let unchanged = !from_iter && self.threads_unchanged(pf);
        if from_iter {
            self.pre_read = None;
            tids.clear();
            if let Some(pass) = &self.iter {
                tids.extend(pass.group(tgid).map(|r| r.tid));
            }
        }
        let listed = if unchanged || from_iter {
            if unchanged {
                tids.clear();
                tids.extend(pf.tasks.iter().map(|t| t.tid));
            }
            match pf.task_dir.take() {
                Some(dir) => {
                    // Counted again when kept at the end of the tick, as in `list_tasks`.
                    self.budget.released(1);
                    Ok((Some(dir), None))
                }
                // Not kept (out of descriptors): opened, not listed, for per-task opens.
                None => {
                    self.path.clear().num(tgid).bytes(b"/task");
                    open_rel(root, self.path.as_bytes(), true)
                        .map(|d| (Some(d), None))
                        .map_err(classify)
                }
            }
        } else {
            // A leader's `stat` read by `threads_unchanged` is still used below.
            self.list_tasks(root, pf, &mut tids)
        };
        let (dir, owner, tasks_error) = match listed {
            Ok((dir, owner)) => (dir, owner, None),
            Err(None) => {
                notes.vanished += 1;
                self.tids = tids;
                return None;
            }
            Err(Some(why)) => {
                tids.clear();
                tids.push(tgid);
                (None, None, Some(why))
            }
        };
        // The owner: fstat of the kept directory costs no path walk.
        let uid = match (owner, &dir) {
            // Read by the first pass's listing.
            (Some(uid), _) => Some(uid),
            (None, Some(d)) => fstat(d).ok().map(|st| st.st_uid),
            (None, None) => {
                self.path.clear().num(tgid);
                statat(root, self.path.as_bytes(), AtFlags::empty())
                    .ok()
                    .map(|st| st.st_uid)
            }
        };
        // Per-task paths are relative to the task directory, or to the root when it
        // could not be opened.
        let (base, prefix_tgid) = match &dir {
            Some(d) => (d.as_fd(), None),
            None => (root, Some(tgid)),
        };
        // Leader first, then by TID: the order the kernel created them in, mostly.
        let leader_at = tids.iter().position(|&t| t == tgid);
        let mut tasks = task_list(tids.len());
        let mut old = std::mem::take(&mut pf.tasks);
        let mut merged = std::mem::take(&mut pf.spare);
        merged.reserve(tids.len());
        let mut old_it = old.drain(..).peekable();
        let mut leader_task: Option<TaskInfo> = None;
        let vanished_before = notes.vanished;
        for (i, &tid) in tids.iter().enumerate() {
            while let Some(gone) = old_it.next_if(|o| o.tid < tid) {
                let n = gone.close();
                self.budget.released(n);
            }
            let mut tf = old_it
                .next_if(|o| o.tid == tid)
                .unwrap_or_else(|| TaskFiles::new(tid));
            let t = self.scan_task(base, prefix_tgid, &mut tf, tgid, plan, notes);
            merged.push(tf);
            if let Some(t) = t {
                if Some(i) == leader_at {
                    leader_task = Some(t);
                } else {
                    tasks.push(t);
                }
            }
        }
        for gone in old_it {
            let n = gone.close();
            self.budget.released(n);
        }
        self.pre_read = None;
        if unchanged && notes.vanished != vanished_before {
            // Not listed because the thread count matched, but a thread we knew is gone:
            // another one may have taken its place in the count. List after all, now, so
            // a new thread is not a tick late.
            if let Some(d) = &dir {
                self.scan_new_tasks(d.as_fd(), tgid, &mut merged, &mut tasks, plan, notes);
            }
        }
        // Dropped entries of vanished tasks stay in `merged` only until the next listing.
        pf.tasks = merged;
        pf.spare = old;
        // A pool that shrank gives its memory back (hysteresis: no churn near the size).
        let len = pf.tasks.len();
        if pf.spare.capacity() > 4 * len + 64 {
            pf.spare.shrink_to(2 * len);
            pf.tasks.shrink_to(2 * len);
        }
        self.tids = tids;
        if let Some(l) = leader_task {
            tasks.insert(0, l);
        }
        one_row_per_task(&mut tasks);
        let mut task_io = Vec::new();
        if plan.io {
            // Needs ptrace access: another user's task says EACCES (denied); a kernel
            // without task I/O accounting has no file (absent).
            let base = dir.as_ref().map_or(root, |d| d.as_fd());
            task_io.reserve(tasks.len());
            for t in tasks.iter().filter(|t| t.stat_error.is_none()) {
                self.task_path(prefix_tgid, t.tid, b"io");
                let io = match self.read_detail(base, None) {
                    Ok(n) => parse_io(&self.buf[..n]).ok_or(Unreadable::Malformed),
                    Err(e) => Err(classify(e).unwrap_or(Unreadable::Absent)),
                };
                task_io.push((t.tid, io));
            }
            task_io.sort_unstable_by_key(|(tid, _)| *tid);
        }
        match dir {
            // Keep the directory when the budget allows; else it is reopened next tick.
            Some(d) if self.budget.try_keep() => pf.task_dir = Some(d),
            _ => {}
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
        let keep_cmdline = !plan.all && plan.shows(tgid);
        if pf.cmdline_fd.is_some() && (!keep_cmdline || kernel || first.state == b'Z') {
            // Off screen now: the descriptor goes.
            pf.cmdline_fd = None;
            self.budget.released(1);
        }
        let cmdline = if kernel || first.state == b'Z' {
            Ok(Vec::new())
        } else {
            // Cached, except for the rows on screen: exec'ing the same binary keeps comm
            // and start time, and setproctitle (sshd, postgres) changes only argv.
            match &pf.cmdline {
                Some((start, comm, c))
                    if *start == first.start_ticks && *comm == first.comm && !plan.shows(tgid) =>
                {
                    c.clone()
                }
                _ => {
                    let c = if keep_cmdline {
                        self.read_cmdline_kept(root, pf)
                    } else {
                        self.read_cmdline(root, tgid)
                    };
                    pf.cmdline = Some((first.start_ticks, first.comm.clone(), c.clone()));
                    c
                }
            }
        };
        let user = uid.and_then(|u| self.users.name(u));
        let statm = plan.memory.then(|| {
            self.path.clear().num(tgid).bytes(b"/statm");
            open_rel(root, self.path.as_bytes(), false)
                .and_then(|fd| pread_whole(fd.as_fd(), &mut self.buf))
                .map_err(|e| classify(e).unwrap_or(Unreadable::Absent))
                .and_then(|n| parse_statm(&self.buf[..n]).ok_or(Unreadable::Malformed))
        });
        Some(ProcessInfo {
            tgid,
            ppid,
            uid,
            user,
            cmdline,
            rss_bytes,
            statm,
            tasks,
            task_io,
            tasks_error,
        })
    }

    /// Whether a process's threads are the ones kept from the last tick, so its task
    /// directory needs no listing (getdents over /proc/TGID/task costs a dentry lookup per
    /// thread: about a tenth of a tick's CPU). True when its leader's `stat`, read here
    /// through the kept descriptor, counts as many threads as are kept: the count
    /// (`signal->nr_threads`) and the thread list change together under the kernel's
    /// tasklist lock. A kept thread that turns out to be gone means one may have replaced
    /// it; `scan_process` then lists after all. The leader's `stat` is kept in
    /// `leader_buf` for `scan_task`, so it is read once.
    fn threads_unchanged(&mut self, pf: &ProcFiles) -> bool {
        self.pre_read = None;
        if pf.tasks.is_empty() {
            return false;
        }
        let Ok(i) = pf.tasks.binary_search_by_key(&pf.tgid, |t| t.tid) else {
            return false;
        };
        let Some(fd) = &pf.tasks[i].stat else {
            return false;
        };
        let Ok(n) = pread_whole(fd.as_fd(), &mut self.leader_buf) else {
            return false;
        };
        self.pre_read = Some((pf.tgid, n));
        parse_stat(&self.leader_buf[..n])
            .is_some_and(|s| usize::try_from(s.num_threads).ok() == Some(pf.tasks.len()))
    }

    /// Lists a process's task directory and scans the tasks `merged` does not have yet;
    /// kept files of tasks no longer listed are closed. Keeps `merged` sorted by TID and
    /// `tasks` (the leader first) in TID order.
    fn scan_new_tasks(
        &mut self,
        dir: BorrowedFd<'_>,
        tgid: u32,
        merged: &mut Vec<TaskFiles>,
        tasks: &mut Vec<TaskInfo>,
        plan: &DetailPlan,
        notes: &mut ScanNotes,
    ) {
        let mut listed = std::mem::take(&mut self.more_tids);
        if list_numeric(dir, &mut self.dirbuf, &mut listed).is_ok() {
            let before = merged.len();
            merged.retain_mut(|tf| {
                let keep = listed.binary_search(&tf.tid).is_ok();
                if !keep {
                    let tf = std::mem::replace(tf, TaskFiles::new(tf.tid));
                    self.budget.released(tf.close());
                }
                keep
            });
            let missing = tids_missing(merged, |t| t.tid, &listed);
            let added = !missing.is_empty();
            for tid in missing {
                let mut tf = TaskFiles::new(tid);
                if let Some(t) = self.scan_task(dir, None, &mut tf, tgid, plan, notes) {
                    tasks.push(t);
                }
                merged.push(tf);
            }
            if added || merged.len() != before {
                merged.sort_unstable_by_key(|t| t.tid);
                // The leader is not among them: it goes first afterwards.
                tasks.sort_unstable_by_key(|t| t.tid);
            }
        }
        self.more_tids = listed;
    }

    /// The command line of a process on screen, through a descriptor kept while it stays
    /// there: one `pread` a tick instead of open, reads and close.
    fn read_cmdline_kept(
        &mut self,
        root: BorrowedFd<'_>,
        pf: &mut ProcFiles,
    ) -> Result<Vec<u8>, Unreadable> {
        self.path.clear().num(pf.tgid).bytes(b"/cmdline");
        let path = self.path.as_bytes();
        let n = read_kept(
            &mut pf.cmdline_fd,
            root,
            path,
            &mut self.buf,
            &mut self.budget,
        )
        .map_err(|e| classify(e).unwrap_or(Unreadable::Absent))?;
        match &pf.cmdline_fd {
            Some(fd) => Ok(self.cmdline_rest(fd.as_fd(), n)),
            // Not kept (out of descriptors): the rest, if any, the slow way.
            None if n >= self.buf.len() => self.read_cmdline(root, pf.tgid),
            // Shorter than the buffer: all of it is there, nothing more is read.
            None => Ok(self.cmdline_rest(root, n)),
        }
    }

    /// Each read of `cmdline` copies from the process's memory, so it is read with one
    /// `pread` into the scan buffer (argv is rarely longer), not in growing chunks.
    fn read_cmdline(&mut self, root: BorrowedFd<'_>, tgid: u32) -> Result<Vec<u8>, Unreadable> {
        let ahead = match &mut self.prefetch {
            Some(p) => p.take_cmdline(tgid, &mut self.buf),
            None => None,
        };
        if let Some(read) = ahead {
            // Read by a helper of the first pass, shorter than the buffer: all of it.
            let n = read.map_err(|e| classify(e).unwrap_or(Unreadable::Absent))?;
            return Ok(self.cmdline_rest(root, n));
        }
        self.path.clear().num(tgid).bytes(b"/cmdline");
        let fd = open_rel(root, self.path.as_bytes(), false)
            .map_err(|e| classify(e).unwrap_or(Unreadable::Absent))?;
        let n = pread_whole(fd.as_fd(), &mut self.buf).map_err(|_| Unreadable::Absent)?;
        Ok(self.cmdline_rest(fd.as_fd(), n))
    }

    /// argv from the first `n` bytes in the scan buffer, and when they filled it, the
    /// rest from `fd` up to `CMDLINE_MAX`; trailing NULs dropped.
    fn cmdline_rest(&mut self, fd: BorrowedFd<'_>, n: usize) -> Vec<u8> {
        let mut v = self.buf[..n].to_vec();
        if n >= self.buf.len() {
            v.resize(CMDLINE_MAX, 0);
            let mut got = n;
            while got < v.len() {
                match rustix::io::pread(fd, &mut v[got..], got as u64) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(Errno::INTR) => continue,
                    Err(_) => break,
                }
            }
            v.truncate(got);
            v.shrink_to_fit();
        }
        while v.last() == Some(&0) {
            v.pop();
        }
        v
    }

    /// Sets `self.path` to `[TGID/task/]TID/name`.
    fn task_path(&mut self, prefix_tgid: Option<u32>, tid: u32, name: &[u8]) {
        self.path.clear();
        if let Some(tgid) = prefix_tgid {
            self.path.num(tgid).bytes(b"/task/");
        }
        self.path.num(tid).bytes(b"/").bytes(name);
    }

    fn scan_task(
        &mut self,
        base: BorrowedFd<'_>,
        prefix_tgid: Option<u32>,
        tf: &mut TaskFiles,
        tgid: u32,
        plan: &DetailPlan,
        notes: &mut ScanNotes,
    ) -> Option<TaskInfo> {
        let tid = tf.tid;
        if tid != tgid
            && let Some(pass) = self.iter.as_ref().filter(|p| p.fresh)
            && let Some(rec) = pass.get(tid)
        {
            // From the iterator: nothing opened. The leader is read from /proc (RSS, a
            // workqueue worker's full name), as are the files only some rows ask for.
            // Descriptors kept by /proc scans before the iterator loaded are not needed.
            let kept =
                usize::from(tf.stat.take().is_some()) + usize::from(tf.schedstat.take().is_some());
            self.budget.released(kept);
            let task = rec.to_task_info(self.clk_tck);
            return Some(self.scan_task_detail(base, prefix_tgid, tf, tgid, plan, task));
        }
        self.task_path(prefix_tgid, tid, b"stat");
        let ahead = match &mut self.prefetch {
            Some(p) => p.take_stat(tgid, tid, &mut self.buf),
            None => None,
        };
        let read = match (self.pre_read.take_if(|(t, _)| *t == tid), ahead) {
            (Some((_, n)), _) => {
                // Read just before, through the same descriptor (`threads_unchanged`).
                self.buf[..n].copy_from_slice(&self.leader_buf[..n]);
                Ok(n)
            }
            (None, Some(ahead)) => {
                // Read by a helper of the first pass; its descriptor is counted already.
                self.first_pass_shared += 1;
                match (ahead.fd, &tf.stat) {
                    (Some(fd), None) => tf.stat = Some(fd),
                    (Some(_), Some(_)) => self.budget.released(1),
                    (None, _) => {}
                }
                if let Err(Errno::MFILE | Errno::NFILE) = ahead.read {
                    self.budget.ran_out();
                }
                ahead.read
            }
            (None, None) => read_kept(
                &mut tf.stat,
                base,
                self.path.as_bytes(),
                &mut self.buf,
                &mut self.budget,
            ),
        };
        let n = match read {
            Ok(n) => n,
            Err(e) => {
                return match classify(e) {
                    None => {
                        notes.vanished += 1;
                        // Gone: its other kept descriptors go too. Its `schedstat`'s, kept
                        // from the last tick, stayed open until the next listing, beyond
                        // two a live task (a churn test counted 356 for 137 tasks).
                        let gone = std::mem::replace(tf, TaskFiles::new(tid));
                        self.budget.released(gone.close());
                        None
                    }
                    Some(why) => {
                        notes.denied_tasks += u32::from(why == Unreadable::Denied);
                        Some(TaskInfo::unreadable(tid, tgid, why))
                    }
                };
            }
        };
        let mut task = match parse_stat(&self.buf[..n]) {
            Some(s) => TaskInfo {
                tid,
                tgid,
                comm: Comm::new(s.comm),
                state: s.state,
                ppid: s.ppid,
                flags: s.flags,
                utime_ticks: s.utime,
                stime_ticks: s.stime,
                // The kernel's range is -100..=39 and -20..=19; a hostile file's is not.
                priority: saturate(s.priority),
                nice: saturate(s.nice),
                num_threads: s.num_threads,
                start_ticks: s.starttime,
                rss_pages: s.rss_pages,
                // A CPU id past u16 is not a kernel's: unknown rather than wrapped.
                processor: s.processor.and_then(|c| u16::try_from(c).ok()),
                rt_priority: saturate(s.rt_priority),
                policy: saturate(s.policy),
                ..TaskInfo::EMPTY
            },
            None => {
                notes.malformed += 1;
                return Some(TaskInfo::unreadable(tid, tgid, Unreadable::Malformed));
            }
        };
        if self.skip_schedstat {
            // Quick first pass: left `Absent`, and the snapshot says why.
            return Some(self.scan_task_detail(base, prefix_tgid, tf, tgid, plan, task));
        }
        self.task_path(prefix_tgid, tid, b"schedstat");
        task.schedstat = match read_kept(
            &mut tf.schedstat,
            base,
            self.path.as_bytes(),
            &mut self.buf,
            &mut self.budget,
        ) {
            Ok(n) => parse_schedstat(&self.buf[..n]).ok_or(Unreadable::Malformed),
            Err(e) => Err(classify(e).unwrap_or(Unreadable::Absent)),
        };
        Some(self.scan_task_detail(base, prefix_tgid, tf, tgid, plan, task))
    }

    /// Reads the file at `self.path` into the buffer: through the descriptor in `kept`
    /// (opened on first use, kept while the caller keeps the slot), or with `None` opened,
    /// read and closed.
    fn read_detail(
        &mut self,
        base: BorrowedFd<'_>,
        kept: Option<&mut Option<OwnedFd>>,
    ) -> Result<usize, Errno> {
        let path = self.path.as_bytes();
        match kept {
            Some(slot) => read_kept(slot, base, path, &mut self.buf, &mut self.budget),
            None => {
                open_rel(base, path, false).and_then(|fd| pread_whole(fd.as_fd(), &mut self.buf))
            }
        }
    }

    /// The files read only for some tasks: `status`, `sched`, wchan and syscall.
    fn scan_task_detail(
        &mut self,
        base: BorrowedFd<'_>,
        prefix_tgid: Option<u32>,
        tf: &mut TaskFiles,
        tgid: u32,
        plan: &DetailPlan,
        mut task: TaskInfo,
    ) -> TaskInfo {
        let tid = tf.tid;
        if plan.wants(tid) {
            self.task_path(prefix_tgid, tid, b"status");
            // Every task: open, read, close (three descriptors a task would not fit). The
            // few rows on screen: kept open while they stay there.
            let read = self.read_detail(base, (!plan.all).then_some(&mut tf.status));
            task.set_detail(Some(match read {
                Ok(n) => parse_status(&self.buf[..n]).ok_or(Unreadable::Malformed),
                Err(e) => Err(classify(e).unwrap_or(Unreadable::Absent)),
            }));
        }
        if tf.status.is_some() && (plan.all || !plan.wants(tid)) {
            // Off screen now: the descriptor goes.
            tf.status = None;
            self.budget.released(1);
        }
        if plan.explain_tid == Some(tid) {
            task.set_wait(Some(self.read_wait(base, prefix_tgid, tid)));
        }
        let selected = plan.sched_tgid == Some(tgid);
        if tf.sched.is_some() && (plan.all || !selected) {
            tf.sched = None;
            self.budget.released(1);
        }
        if plan.all || selected {
            // Never written (opened read-only): a write to `sched` resets the task's
            // statistics.
            self.task_path(prefix_tgid, tid, b"sched");
            // The selected process's tasks: kept open while it stays selected.
            let read = self.read_detail(base, (!plan.all).then_some(&mut tf.sched));
            task.set_migrations(Some(match read {
                Ok(n) => parse_sched_migrations(&self.buf[..n]).ok_or(Unreadable::Absent),
                Err(e) => Err(classify(e).unwrap_or(Unreadable::Absent)),
            }));
        }
        task
    }
}

impl Scanner {
    /// wchan and the current system call of one task (the explain card's), read on demand.
    fn read_wait(&mut self, base: BorrowedFd<'_>, prefix_tgid: Option<u32>, tid: u32) -> WaitInfo {
        let read = |scanner: &mut Scanner, name: &[u8]| -> Result<Vec<u8>, Unreadable> {
            scanner.task_path(prefix_tgid, tid, name);
            open_rel(base, scanner.path.as_bytes(), false)
                .and_then(|fd| pread_whole(fd.as_fd(), &mut scanner.buf))
                .map(|n| scanner.buf[..n].to_vec())
                .map_err(|e| classify(e).unwrap_or(Unreadable::Absent))
        };
        let wchan =
            read(self, b"wchan").map(|b| String::from_utf8_lossy(b.trim_ascii()).into_owned());
        let syscall = read(self, b"syscall")
            .and_then(|b| super::parse::parse_syscall(&b).ok_or(Unreadable::Malformed));
        WaitInfo { wchan, syscall }
    }
}

/// How many tasks the kernel runs, from `loadavg` in the /proc tree at `root` (as the
/// first scan's descriptor table is sized); `None` when it cannot be read.
pub fn tasks_on_machine_at(root: &Path) -> Option<usize> {
    let dir = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    tasks_on_machine(dir.as_fd(), &mut [0u8; 256])
}

/// How many tasks the kernel runs, from the fourth field of `loadavg` ("2/10234"),
/// without listing anything. `None` when the file is absent (a fabricated tree).
fn tasks_on_machine(root: BorrowedFd<'_>, buf: &mut [u8]) -> Option<usize> {
    let fd = open_rel(root, b"loadavg", false).ok()?;
    let n = pread_whole(fd.as_fd(), buf).ok()?;
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    let field = text.split_ascii_whitespace().nth(3)?;
    field.split_once('/')?.1.parse().ok()
}

/// Raises the descriptor limit and grows the descriptor table to what a first scan of
/// `root` will keep, as the scanner's first scan would, but meant to be called while the
/// process has one thread: the kernel grows a table shared by several threads only after
/// an RCU grace period (`expand_fdtable`), measured at 11-15 ms of wall time before the
/// first frame at 10,000 threads; a lone thread's table grows at once. The scanner's own
/// presizing then finds the table big enough.
pub fn prepare_descriptor_table(root: &Path) {
    let budget = FdBudget::from_rlimit();
    let Ok(dir) = rustix::fs::open(
        root,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return;
    };
    let mut buf = [0u8; 256];
    if let Some(tasks) = tasks_on_machine(dir.as_fd(), &mut buf) {
        budget.presize_table(dir.as_fd(), tasks);
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
