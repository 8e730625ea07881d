//! The plain data one scan produces. Owned, UI-free, and cheap to send to another thread.
//!
//! Everything here is a raw counter or a raw string as the kernel gave it: rates and
//! display forms are the model's job. Names are kept as bytes because /proc hands us
//! arbitrary bytes (invalid UTF-8, escape sequences); `crate::text` escapes them for display.

use serde::Serialize;

/// Identifies one task across snapshots: the kernel reuses TIDs, but never with the same
/// start time, so history keyed by this never leaks from a dead task into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TaskKey {
    pub tid: u32,
    pub start_ticks: u64,
}

/// `stat` flag bit set for kernel threads (include/linux/sched.h).
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// Run time, run-queue wait and timeslices from `/proc/.../schedstat`, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchedStat {
    pub run_ns: u64,
    pub wait_ns: u64,
    pub timeslices: u64,
}

/// What a task made the kernel read from and write to storage, cumulative bytes
/// (`/proc/TID/io`: `read_bytes`, `write_bytes`; page cache hits are not reads). Read only
/// when asked for (`DetailPlan::io`): the file needs ptrace access, another user's task
/// refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskIo {
    pub read_bytes: u64,
    pub write_bytes: u64,
}

/// A process's memory from `/proc/PID/statm`, in pages: the address space (VIRT), what is
/// resident, and the resident pages backed by files or shared memory (SHR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Statm {
    pub size_pages: u64,
    pub resident_pages: u64,
    pub shared_pages: u64,
}

/// Fields from `status` that `stat` lacks. Expensive to read, so only read for the tasks
/// the screen (or a sort, filter or `--json`) needs: see `DetailPlan`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskDetail {
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// `Cpus_allowed_list` as the kernel writes it, e.g. `0-3,8`.
    pub cpus_allowed: String,
}

/// Why a piece of a task could not be read. A task that vanished mid-scan is simply
/// left out; these are for tasks that exist but refused us something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreadable {
    /// Permission denied (another user's task, hidepid, an LSM).
    Denied,
    /// The file was there but its contents did not parse (truncated read, odd kernel).
    Malformed,
    /// The kernel does not provide it (e.g. schedstat without CONFIG_SCHED_INFO).
    Absent,
    /// threadtop ran out of file descriptors (RLIMIT_NOFILE) before it could open the file:
    /// with `prlimit --nofile=9` every task was "malformed".
    NoDescriptors,
}

/// A task's comm, raw bytes, stored inline: `stat`'s comm is at most 15 bytes, except a
/// workqueue worker's, which carries its queue's name (`kworker/u8:3-events_unbound`, up
/// to 63 bytes) and goes to the heap. One heap block per task per tick less than a `Vec`.
#[derive(Clone, PartialEq, Eq)]
pub struct Comm(CommRepr);

#[derive(Clone, PartialEq, Eq)]
enum CommRepr {
    Inline { len: u8, bytes: [u8; Comm::INLINE] },
    Heap(Box<[u8]>),
}

impl Comm {
    /// Longest comm kept without a heap block (the enum stays 24 bytes, a `Vec`'s size).
    pub const INLINE: usize = 22;

    pub const EMPTY: Comm = Comm(CommRepr::Inline {
        len: 0,
        bytes: [0; Comm::INLINE],
    });

    pub fn new(s: &[u8]) -> Self {
        if s.len() <= Self::INLINE {
            let mut bytes = [0; Self::INLINE];
            bytes[..s.len()].copy_from_slice(s);
            Comm(CommRepr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Comm(CommRepr::Heap(s.into()))
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            CommRepr::Inline { len, bytes } => &bytes[..usize::from(*len).min(Self::INLINE)],
            CommRepr::Heap(b) => b,
        }
    }
}

impl Default for Comm {
    fn default() -> Self {
        Comm::EMPTY
    }
}

impl std::ops::Deref for Comm {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Comm {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for Comm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for Comm {
    fn from(s: &[u8]) -> Self {
        Comm::new(s)
    }
}

impl<const N: usize> From<&[u8; N]> for Comm {
    fn from(s: &[u8; N]) -> Self {
        Comm::new(s)
    }
}

impl From<Vec<u8>> for Comm {
    fn from(s: Vec<u8>) -> Self {
        Comm::new(&s)
    }
}

impl PartialEq<[u8]> for Comm {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Comm {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<Vec<u8>> for Comm {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_bytes() == other.as_slice()
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Comm {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Comm {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_bytes() == *other
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub tid: u32,
    pub tgid: u32,
    /// comm, raw bytes (at most 15 for user tasks; kernel threads may be longer).
    pub comm: Comm,
    /// The kernel's state letter: R S D T t X Z P I (or `?` when stat was unreadable).
    pub state: u8,
    pub ppid: u32,
    pub flags: u32,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    /// Narrow types (the kernel's ranges: -100..=39, -20..=19, CPU ids below 2^16 as
    /// NR_CPUS is at most 8,192, 0..=99 and 0..=7): 128 bytes a task instead of 144,
    /// 0.16 MB less a snapshot at 10,000 threads, of which two or three are alive.
    pub priority: i16,
    pub nice: i8,
    pub num_threads: u32,
    pub start_ticks: u64,
    pub rss_pages: u64,
    /// CPU the task runs on, or last ran or was queued on.
    pub processor: Option<u16>,
    pub rt_priority: u8,
    pub policy: u8,
    pub schedstat: Result<SchedStat, Unreadable>,
    /// Set when `stat` itself could not be read: only tid/tgid are meaningful then.
    pub stat_error: Option<Unreadable>,
    /// What only a few tasks carry (`detail`, `migrations`, `wait`), behind one pointer
    /// that is `None` for the rest: 144 bytes a task instead of 176, 0.64 MB less at
    /// 10,000 threads with two snapshots alive. Read and set through the methods, which
    /// keep it `None` when all three are (public only for `..TaskInfo::EMPTY`).
    pub extra: Option<Box<TaskExtra>>,
}

/// `v` (any integer) clamped into the narrower integer type of a `TaskInfo` field: a
/// hostile file's, or an old recording's, numbers are any size.
pub(crate) fn saturate<T: TryFrom<i128> + Bounded>(v: impl Into<i128>) -> T {
    let v = v.into();
    T::try_from(v).unwrap_or(if v < 0 { T::MIN } else { T::MAX })
}

pub(crate) trait Bounded: Sized {
    const MIN: Self;
    const MAX: Self;
}

macro_rules! bounded {
    ($($t:ty),*) => {$(impl Bounded for $t { const MIN: $t = <$t>::MIN; const MAX: $t = <$t>::MAX; })*};
}
bounded!(i8, i16, u8);

/// The parts of a task read for some tasks only (see `TaskInfo::extra`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskExtra {
    /// `status`: asked for the rows on screen, or every task (`DetailPlan`).
    detail: Option<Result<TaskDetail, Unreadable>>,
    /// `se.nr_migrations` from `sched`: exact count of CPU migrations (the selected
    /// process's tasks); `Absent` on kernels without the file or field.
    migrations: Option<Result<u64, Unreadable>>,
    /// What it waits in: read only for the task the explain card shows.
    wait: Option<WaitInfo>,
}

impl TaskExtra {
    fn is_empty(&self) -> bool {
        self.detail.is_none() && self.migrations.is_none() && self.wait.is_none()
    }
}

/// `/proc/TID/syscall`: what the task is doing in the kernel right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallState {
    /// Runnable: the kernel reports no system call for a task that is running.
    Running,
    /// Blocked, but not inside a system call (kernel threads, page faults).
    NotInSyscall,
    /// Blocked inside this system call number.
    In(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitInfo {
    /// The kernel function it sleeps in (`0` when running or not permitted).
    pub wchan: Result<String, Unreadable>,
    /// Needs ptrace access: another user's task gives `Denied`.
    pub syscall: Result<SyscallState, Unreadable>,
}

impl TaskInfo {
    /// `status`'s fields; `None` when this task was not asked for detail this tick.
    pub fn detail(&self) -> Option<&Result<TaskDetail, Unreadable>> {
        self.extra.as_ref()?.detail.as_ref()
    }

    pub fn detail_mut(&mut self) -> Option<&mut Result<TaskDetail, Unreadable>> {
        self.extra.as_mut()?.detail.as_mut()
    }

    pub fn set_detail(&mut self, detail: Option<Result<TaskDetail, Unreadable>>) {
        self.with_extra(|e| e.detail = detail);
    }

    /// Exact CPU migrations (`sched`); `None` when not read this tick (read for the
    /// selected process only).
    pub fn migrations(&self) -> Option<Result<u64, Unreadable>> {
        self.extra.as_ref()?.migrations
    }

    pub fn set_migrations(&mut self, migrations: Option<Result<u64, Unreadable>>) {
        self.with_extra(|e| e.migrations = migrations);
    }

    /// What it waits in (the explain card's task only).
    pub fn wait(&self) -> Option<&WaitInfo> {
        self.extra.as_ref()?.wait.as_ref()
    }

    pub fn set_wait(&mut self, wait: Option<WaitInfo>) {
        self.with_extra(|e| e.wait = wait);
    }

    /// Changes the extra parts, allocating them only when something is set.
    fn with_extra(&mut self, f: impl FnOnce(&mut TaskExtra)) {
        match &mut self.extra {
            Some(extra) => {
                f(extra);
                if extra.is_empty() {
                    self.extra = None;
                }
            }
            None => {
                let mut extra = TaskExtra::default();
                f(&mut extra);
                if !extra.is_empty() {
                    self.extra = Some(Box::new(extra));
                }
            }
        }
    }

    pub fn key(&self) -> TaskKey {
        TaskKey {
            tid: self.tid,
            start_ticks: self.start_ticks,
        }
    }

    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }

    pub fn is_leader(&self) -> bool {
        self.tid == self.tgid
    }

    /// A placeholder for a task whose stat we could not read, so the row is kept
    /// (and marked) rather than silently lost.
    pub fn unreadable(tid: u32, tgid: u32, why: Unreadable) -> Self {
        TaskInfo {
            tid,
            tgid,
            schedstat: Err(why),
            stat_error: Some(why),
            ..TaskInfo::EMPTY
        }
    }

    /// A task with nothing known: every counter zero, state `?`.
    pub const EMPTY: TaskInfo = TaskInfo {
        tid: 0,
        tgid: 0,
        comm: Comm::EMPTY,
        state: b'?',
        ppid: 0,
        flags: 0,
        utime_ticks: 0,
        stime_ticks: 0,
        priority: 0,
        nice: 0,
        num_threads: 0,
        start_ticks: 0,
        rss_pages: 0,
        processor: None,
        rt_priority: 0,
        policy: 0,
        schedstat: Err(Unreadable::Absent),
        stat_error: None,
        extra: None,
    };
}

/// One thread group. `tasks[0]` is the group leader (TID = TGID) whenever it is readable.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    pub tgid: u32,
    pub ppid: u32,
    pub uid: Option<u32>,
    pub user: Option<String>,
    /// NUL-separated argv as read from `cmdline`; empty for kernel threads and zombies.
    pub cmdline: Result<Vec<u8>, Unreadable>,
    pub rss_bytes: u64,
    /// VIRT and SHR: `None` when not asked for this tick (`DetailPlan::memory`).
    pub statm: Option<Result<Statm, Unreadable>>,
    pub tasks: Vec<TaskInfo>,
    /// Storage I/O of its tasks by TID, sorted, when asked for this tick (`DetailPlan::io`);
    /// empty otherwise. Kept here, not in `TaskInfo`: a task that has none pays nothing
    /// (in `TaskInfo` even a boxed one was 8 bytes a task, see `a_task_stays_small`).
    pub task_io: Vec<(u32, Result<TaskIo, Unreadable>)>,
    /// The task directory could not be listed: only the leader is known.
    pub tasks_error: Option<Unreadable>,
}

/// Puts a process's tasks in the order a snapshot promises, each TID once: the leader
/// first, then by TID. Every process of a scan goes through here, so a snapshot holds each
/// (TID, start time) once by construction (the kernel's task lookup checks the thread
/// group, so a task is never read under two processes). Costs one pass when the list is
/// already in order, as it is unless a listing raced with thread churn; then the first
/// read of a TID is kept.
pub fn one_row_per_task(tasks: &mut Vec<TaskInfo>) {
    let leader_first = |t: &TaskInfo| (!t.is_leader(), t.tid);
    if tasks
        .windows(2)
        .all(|w| leader_first(&w[0]) < leader_first(&w[1]))
    {
        return;
    }
    // Stable, so reads of one TID stay in the order they were made; the last one is kept
    // (the TID may have been handed to a new thread in between: the earlier task is gone).
    tasks.sort_by_key(leader_first);
    tasks.dedup_by(|later, kept| {
        let same = later.tid == kept.tid;
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
}

/// Keeps each (TID, start time) once across the processes of one scan (`processes` in the
/// order they were read, each already through `one_row_per_task`). Start times are in
/// clock ticks (10 ms): a thread of one process read early in a scan can exit and its TID
/// go to a thread of a process read later, started in the same tick, so two tasks carry
/// one key (seen with TIDs wrapping every few milliseconds). Only tasks started at or after
/// `since_ticks` (the scan's start, in ticks) can collide, so only they are compared, and
/// usually there are none. The later read is kept: the earlier task had exited by then. A
/// process whose leader goes had exited too, and goes with it. Returns whether any task
/// was dropped (the scanner then closes the dropped tasks' kept files).
pub fn one_row_per_key(processes: &mut Vec<ProcessInfo>, since_ticks: u64) -> bool {
    let mut recent: Vec<(TaskKey, usize, usize)> = Vec::new();
    for (p, proc_) in processes.iter().enumerate() {
        for (t, task) in proc_.tasks.iter().enumerate() {
            if task.start_ticks >= since_ticks && task.stat_error.is_none() {
                recent.push((task.key(), p, t));
            }
        }
    }
    if recent.len() < 2 {
        return false;
    }
    recent.sort_unstable();
    let mut drop: Vec<(usize, usize)> = recent
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| (w[0].1, w[0].2))
        .collect();
    if drop.is_empty() {
        return false;
    }
    // Highest indices first, so removing one leaves the others' indices valid.
    drop.sort_unstable_by(|a, b| b.cmp(a));
    for (p, t) in drop {
        let proc_ = &mut processes[p];
        if proc_.tasks[t].tid == proc_.tgid {
            proc_.tasks.clear();
        } else if t < proc_.tasks.len() {
            proc_.tasks.remove(t);
        }
    }
    processes.retain(|p| !p.tasks.is_empty());
    true
}

impl ProcessInfo {
    pub fn leader(&self) -> Option<&TaskInfo> {
        self.tasks.first().filter(|t| t.is_leader())
    }

    /// The storage I/O of task `tid`, if it was read this tick.
    pub fn io_of(&self, tid: u32) -> Option<&Result<TaskIo, Unreadable>> {
        let i = self.task_io.binary_search_by_key(&tid, |(t, _)| *t).ok()?;
        self.task_io.get(i).map(|(_, r)| r)
    }

    pub fn is_kernel(&self) -> bool {
        self.tasks.first().is_some_and(TaskInfo::is_kernel_thread)
    }

    pub fn start_ticks(&self) -> u64 {
        self.leader().map_or(0, |t| t.start_ticks)
    }

    pub fn key(&self) -> TaskKey {
        TaskKey {
            tid: self.tgid,
            start_ticks: self.start_ticks(),
        }
    }
}

/// Cumulative CPU time counters of one CPU (or all), in USER_HZ ticks, from /proc/stat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTimes {
    pub fn busy(&self) -> u64 {
        self.user + self.nice + self.system + self.irq + self.softirq + self.steal
    }
    pub fn total(&self) -> u64 {
        self.busy() + self.idle + self.iowait
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSample {
    /// The CPU's id (cpuN), not its position: after a hotplug the two differ.
    pub id: u32,
    pub times: CpuTimes,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MemInfo {
    pub total_bytes: u64,
    pub available_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_free_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SystemInfo {
    /// Online CPUs only, keyed by id. Empty when /proc/stat is unreadable.
    pub cpus: Vec<CpuSample>,
    pub cpu_total: CpuTimes,
    pub mem: Option<MemInfo>,
    pub load: Option<[f64; 3]>,
    pub uptime_secs: Option<f64>,
    /// Online CPUs with core/package/node from /sys; empty when /sys does not say.
    pub topology: Vec<super::topology::CpuTopology>,
}

/// What the scan could not see, so the UI can say it instead of silently showing less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanNotes {
    /// Tasks whose stat was refused.
    pub denied_tasks: u32,
    /// Tasks or processes that vanished between listing and reading (normal churn).
    pub vanished: u32,
    /// Files that did not parse.
    pub malformed: u32,
    /// /proc looks mounted with hidepid (we see fewer processes than the kernel runs).
    pub hidepid: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// CLOCK_BOOTTIME at the start of the scan, ns: the same clock task start times use.
    pub boot_ns: u64,
    /// How long the scan took, ns.
    pub scan_ns: u64,
    /// USER_HZ: ticks per second of utime/stime/starttime.
    pub clk_tck: u64,
    pub page_size: u64,
    pub processes: Vec<ProcessInfo>,
    pub system: SystemInfo,
    pub notes: ScanNotes,
    /// What the share pane's process shares, and with whom (computed on demand).
    pub shares: Option<std::sync::Arc<super::share::ShareReport>>,
    /// False for the quick first pass, which reads `stat` only so the first frame comes
    /// sooner: every task's `schedstat` is then `Absent`, and no rate may be computed
    /// against this snapshot (they are unknown, never zero).
    pub schedstat_read: bool,
    /// Which cgroup each task is in, and those cgroups' limits and counters.
    pub cgroups: super::cgroup::Cgroups,
    /// Scheduling figures from the kernel's tracepoints, or why there are none.
    pub events: super::events::Events,
    /// What the sampled tasks waited on between the previous scan and this one (the
    /// tasks on screen, the selected process, `--json`'s); `None` when none were sampled.
    pub waits: Option<std::sync::Arc<super::waits::WaitSamples>>,
    /// Where the per-task fields came from: /proc, or the BPF task iterator.
    pub task_source: super::task_iter::TaskSource,
    /// Only some processes were read (`-p`): a task missing from this snapshot may still
    /// run. The event source then lets the kernel's exit flag, not absence, end an entry.
    pub partial: bool,
}

impl Snapshot {
    pub fn tasks(&self) -> impl Iterator<Item = &TaskInfo> {
        self.processes.iter().flat_map(|p| p.tasks.iter())
    }

    pub fn task_count(&self) -> usize {
        self.processes.iter().map(|p| p.tasks.len()).sum()
    }
}

/// Task lists big enough to be mapped on their own (see `return_big_buffers_to_the_kernel`
/// in the worker), handed back by dropped snapshots for the scanner's next ones: at 10,000
/// threads a fresh 1.8 MiB mapping was page-faulted in on every tick. One is held,
/// emptied: each tick the snapshot the model no longer needs hands its list back and the
/// scanner takes it for the next. Two were held until a 10-minute run at 10,000 waking
/// threads (load average 300) kept a third list for good once the display fell a tick
/// behind: RSS rose 1.8 MiB and stayed; a list beyond the one held is now unmapped.
static TASK_LISTS: std::sync::Mutex<Vec<Vec<TaskInfo>>> = std::sync::Mutex::new(Vec::new());

/// Below this many bytes a list comes from the heap, which reuses it anyway.
const RECYCLE_BYTES: usize = 512 * 1024;
const RECYCLE_MAX: usize = 1;

/// An empty task list with room for `n`: a recycled one when one is big enough.
pub fn task_list(n: usize) -> Vec<TaskInfo> {
    if n * std::mem::size_of::<TaskInfo>() >= RECYCLE_BYTES
        && let Ok(mut pool) = TASK_LISTS.lock()
        && let Some(i) = pool.iter().position(|v| v.capacity() >= n)
    {
        return pool.swap_remove(i);
    }
    Vec::with_capacity(n)
}

/// Drops the recycled lists far bigger than the biggest process now needs (it exited).
pub fn trim_task_lists(biggest: usize) {
    if let Ok(mut pool) = TASK_LISTS.lock() {
        pool.retain(|v| v.capacity() <= 4 * biggest + 1024);
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        for p in &mut self.processes {
            if p.tasks.capacity() * std::mem::size_of::<TaskInfo>() < RECYCLE_BYTES {
                continue;
            }
            let mut list = std::mem::take(&mut p.tasks);
            list.clear();
            if let Ok(mut pool) = TASK_LISTS.lock() {
                if pool.len() < RECYCLE_MAX {
                    pool.push(list);
                } else if let Some(small) = pool.iter_mut().min_by_key(|v| v.capacity())
                    && small.capacity() < list.capacity()
                {
                    // Keep the bigger ones.
                    *small = list;
                }
            }
        }
    }
}

#[cfg(test)]
impl ProcessInfo {
    /// A process of `tasks` and nothing else known, for unit tests to build on.
    pub(crate) fn of_tasks(tgid: u32, ppid: u32, tasks: Vec<TaskInfo>) -> Self {
        ProcessInfo {
            tgid,
            ppid,
            uid: None,
            user: None,
            cmdline: Ok(Vec::new()),
            rss_bytes: 0,
            statm: None,
            tasks,
            task_io: Vec::new(),
            tasks_error: None,
        }
    }
}

#[cfg(test)]
impl Snapshot {
    /// A snapshot of nothing (no processes, zero times), for unit tests to build on.
    pub(crate) fn empty() -> Self {
        Snapshot {
            boot_ns: 0,
            scan_ns: 0,
            clk_tck: 100,
            page_size: 4096,
            processes: Vec::new(),
            system: SystemInfo::default(),
            notes: ScanNotes::default(),
            shares: None,
            schedstat_read: true,
            cgroups: Default::default(),
            events: Default::default(),
            waits: None,
            task_source: Default::default(),
            partial: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_snapshot(n: usize) -> Snapshot {
        let mut tasks = Vec::with_capacity(n);
        tasks.extend((0..n as u32).map(|t| TaskInfo::unreadable(t, 1, Unreadable::Denied)));
        let mut snap = Snapshot::empty();
        snap.processes = vec![ProcessInfo::of_tasks(1, 0, tasks)];
        snap
    }

    /// One test for the pool, which is process-wide: tests run in parallel.
    #[test]
    fn big_task_lists_of_dropped_snapshots_are_reused_and_one_is_kept() {
        let n = 2 * RECYCLE_BYTES / std::mem::size_of::<TaskInfo>();
        let snap = big_snapshot(n);
        let at = snap.processes[0].tasks.as_ptr();
        drop(snap);
        let again = task_list(n - 10);
        assert!(again.is_empty() && again.capacity() >= n);
        assert_eq!(again.as_ptr(), at, "the same allocation");
        // Small lists come from the heap as before.
        assert_eq!(task_list(3).capacity(), 3);
        drop(again);
        trim_task_lists(10);
        // Three alive at once (the display a tick behind), then dropped: one is kept, the
        // others go back to the kernel; the biggest is the one kept.
        let snaps = [big_snapshot(n), big_snapshot(n + 100), big_snapshot(n + 50)];
        let biggest = snaps[1].processes[0].tasks.as_ptr();
        drop(snaps);
        let kept = task_list(n);
        assert_eq!(kept.as_ptr(), biggest, "the biggest list kept");
        let fresh = task_list(n);
        assert_eq!(fresh.capacity(), n, "a second list kept");
        drop(kept);
        trim_task_lists(10);
    }

    #[test]
    fn the_rare_parts_are_allocated_only_while_set() {
        let mut t = TaskInfo::EMPTY;
        t.set_detail(None);
        t.set_migrations(None);
        t.set_wait(None);
        assert!(t.extra.is_none(), "nothing set, nothing allocated");
        t.set_migrations(Some(Ok(3)));
        t.set_detail(Some(Err(Unreadable::Denied)));
        assert_eq!(t.migrations(), Some(Ok(3)));
        assert_eq!(t.detail(), Some(&Err(Unreadable::Denied)));
        assert!(t.wait().is_none());
        t.set_migrations(None);
        assert!(t.extra.is_some(), "detail is still set");
        t.set_detail(None);
        // All unset: the same value as a task that never had them (snapshots compare).
        assert_eq!(t, TaskInfo::EMPTY);
    }

    #[test]
    fn out_of_range_numbers_saturate_into_the_narrow_fields() {
        assert_eq!(saturate::<i8>(19i64), 19);
        assert_eq!(saturate::<i8>(1_000i64), i8::MAX);
        assert_eq!(saturate::<i8>(-1_000i64), i8::MIN);
        assert_eq!(saturate::<i16>(-101i64), -101);
        assert_eq!(saturate::<u8>(-5i64), 0);
        assert_eq!(saturate::<u8>(u64::MAX), u8::MAX);
        assert_eq!(saturate::<u8>(7u32), 7);
    }

    #[test]
    fn a_task_stays_small() {
        // 10,000 tasks, three snapshots at the peak of a tick: every 8 bytes here is
        // 240 KB of RSS. It was 240 bytes with comm on the heap and detail inline, 176
        // with `detail`, `migrations` and `wait` each in the task, 144 with i32 priority
        // and nice, u32 policy and rt_priority and an `Option<u32>` CPU.
        assert_eq!(std::mem::size_of::<Comm>(), 24);
        assert!(
            std::mem::size_of::<TaskInfo>() <= 128,
            "TaskInfo grew to {} bytes",
            std::mem::size_of::<TaskInfo>()
        );
    }

    #[test]
    fn comm_keeps_any_bytes_inline_or_on_the_heap() {
        for s in [
            &b""[..],
            b"worker-3",
            b"threadtop-workl",
            b"a) R 1 (\x1b[31m\xff\n",
            &[0xffu8; 22][..],
            &[b'x'; 23][..],
            b"kworker/u8:3-kvfree_rcu_reclaim-and-much-more-than-sixty-three-bytes-long",
        ] {
            let c = Comm::new(s);
            assert_eq!(c.as_bytes(), s);
            assert_eq!(&*c.clone(), s);
            assert_eq!(c, Comm::from(s.to_vec()));
        }
        assert_ne!(Comm::new(b"ab"), Comm::new(b"abc"));
        assert_eq!(Comm::default(), Comm::new(b""));
    }
}
