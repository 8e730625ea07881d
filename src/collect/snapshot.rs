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
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub tid: u32,
    pub tgid: u32,
    /// comm, raw bytes (at most 15 for user tasks; kernel threads may be longer).
    pub comm: Vec<u8>,
    /// The kernel's state letter: R S D T t X Z P I (or `?` when stat was unreadable).
    pub state: u8,
    pub ppid: u32,
    pub flags: u32,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: u32,
    pub start_ticks: u64,
    pub rss_pages: u64,
    /// CPU the task runs on, or last ran or was queued on.
    pub processor: Option<u32>,
    pub rt_priority: u32,
    pub policy: u32,
    pub schedstat: Result<SchedStat, Unreadable>,
    /// `None` when this task was not asked for detail this tick.
    pub detail: Option<Result<TaskDetail, Unreadable>>,
    /// Set when `stat` itself could not be read: only tid/tgid are meaningful then.
    pub stat_error: Option<Unreadable>,
    /// `se.nr_migrations` from `sched`: exact count of CPU migrations. `None` when not
    /// asked for this tick (read for the selected process only); `Absent` on kernels
    /// without the file or field.
    pub migrations: Option<Result<u64, Unreadable>>,
    /// What it waits in: read only for the task the explain card shows.
    pub wait: Option<WaitInfo>,
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
        comm: Vec::new(),
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
        detail: None,
        stat_error: None,
        migrations: None,
        wait: None,
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
    pub tasks: Vec<TaskInfo>,
    /// The task directory could not be listed: only the leader is known.
    pub tasks_error: Option<Unreadable>,
}

impl ProcessInfo {
    pub fn leader(&self) -> Option<&TaskInfo> {
        self.tasks.first().filter(|t| t.is_leader())
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
}

impl Snapshot {
    pub fn tasks(&self) -> impl Iterator<Item = &TaskInfo> {
        self.processes.iter().flat_map(|p| p.tasks.iter())
    }

    pub fn task_count(&self) -> usize {
        self.processes.iter().map(|p| p.tasks.len()).sum()
    }
}
