//! Scheduling events from the kernel's scheduler tracepoints (BPF), aggregated per task per
//! tick in kernel maps and read once a tick by the collector: exact run-queue waits, time
//! on each CPU, migrations, voluntary and involuntary switches, and who woke whom.
//!
//! Optional: it needs root (or CAP_BPF and CAP_PERFMON), BTF and Linux 6.1+. Without
//! them threadtop keeps reading /proc only, and says why (`Events::Unavailable`).

pub mod batch;
pub mod handover;
pub mod hist;
pub mod layout;
pub mod linger;
pub mod source;
pub mod tasks;
pub mod why;

use std::sync::Arc;

use super::snapshot::Comm;

pub use source::EventSource;
pub use tasks::EventTasks;

/// `--events`: whether to take scheduling figures from the kernel's tracepoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// When permitted; otherwise /proc only, with the reason shown.
    #[default]
    Auto,
    /// Always: fail at start, saying what is missing, when they cannot be loaded.
    On,
    /// Never: /proc only.
    Off,
}

/// Where a snapshot's scheduling figures came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Events {
    /// Not asked for (tests, recordings made without them).
    #[default]
    NotCollected,
    /// Off or not possible here: why, for the user.
    Unavailable(Arc<str>),
    /// From the BPF event source.
    Bpf(Arc<EventTick>),
}

impl Events {
    pub fn tick(&self) -> Option<&EventTick> {
        match self {
            Events::Bpf(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the events are still being loaded (the first ticks of `--events auto`).
    pub fn is_loading(&self) -> bool {
        self.unavailable() == Some(source::LOADING)
    }

    /// Why there are no event figures (`None` when there are).
    pub fn unavailable(&self) -> Option<&str> {
        match self {
            Events::NotCollected => Some("not collected"),
            Events::Unavailable(why) => Some(why),
            Events::Bpf(_) => None,
        }
    }
}

/// One tick of events: every task that had any, keyed as /proc keys them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventTick {
    /// Length of the tick the figures cover, ns; `None` on the first tick (no figures yet).
    pub interval_ns: Option<u64>,
    pub tasks: EventTasks,
    /// Tasks the kernel map had no room for ("maps full"), since the source loaded.
    pub maps_full: u64,
    /// Inserts into the map that failed for another reason (no memory, or nested on a
    /// CPU mid-update), since the source loaded.
    pub insert_failures: u64,
    /// Inserts refused in this tick (either reason): then a task missing from `tasks` may
    /// have had events, so its figures are unknown rather than zero.
    pub refused_in_tick: u64,
    /// Where the programs were loaded (`None` in replays and fixtures).
    pub loader: Option<Arc<handover::LoaderReport>>,
}

/// One task's scheduling over one tick, from the events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskEvents {
    /// Run-queue waits that ended in the tick (wakeup or preemption, then switch-in).
    pub waits: u32,
    /// Upper bound of the bucket holding the median wait (at most `max_ns`).
    pub p50_ns: Option<u64>,
    pub p99_ns: Option<u64>,
    /// The longest wait, exact, and when it ended (ns since the Unix epoch).
    pub max_ns: Option<u64>,
    pub max_at_unix_ns: Option<u64>,
    /// Time on each CPU within the tick, by CPU id; `None` when not known.
    pub cpu_ns: Option<CpuNs>,
    /// Time on CPUs beyond the few kept apart (counted, not placed).
    pub other_cpu_ns: u64,
    /// Exact migrations (`sched_migrate_task`) in the tick.
    pub migrations: u32,
    pub voluntary: u32,
    pub involuntary: u32,
    /// Wakeups of this task seen in the tick with a task as the waker.
    pub wakings: u32,
    /// Wakeups from interrupt context (a timer, a device): no task woke it.
    pub irq_wakings: u32,
    /// The waker of more than half of those wakeups, if one did.
    pub woken_by: Option<Waker>,
    /// Time off a CPU in the tick (switched out blocked until woken, or until the tick's
    /// end), ns, by reason (index: `collect::waits::Reason as usize`).
    pub off_ns: [u64; 6],
}

impl TaskEvents {
    /// No figures but a known, empty CPU-time split (what the source starts a task's
    /// figures from when only its open stretch on or off a CPU is known).
    pub fn ran_nowhere() -> Self {
        TaskEvents {
            cpu_ns: Some(CpuNs::default()),
            ..TaskEvents::default()
        }
    }
}

/// Time on each CPU in a tick, by CPU id, kept inline: the kernel keeps `NSLOTS` CPUs
/// apart a task, and the stretch still running at the tick's end adds at most one more.
/// (A `Vec` a task was 10,000 heap blocks a tick at 10,000 threads: 1.3 MB of the heap's
/// peak, heaptrack.) Derefs to the `(cpu, ns)` pairs, in CPU order.
#[derive(Clone, Copy, Default)]
pub struct CpuNs {
    len: u8,
    slots: [(u32, u64); CpuNs::CAP],
}

impl CpuNs {
    pub const CAP: usize = layout::NSLOTS + 1;

    /// Adds `ns` on `cpu`; `false` (and nothing kept) when `CAP` other CPUs are already
    /// held: the caller counts that time as `other_cpu_ns`.
    pub fn add(&mut self, cpu: u32, ns: u64) -> bool {
        let n = usize::from(self.len);
        match self.slots[..n].binary_search_by_key(&cpu, |&(c, _)| c) {
            Ok(i) => {
                self.slots[i].1 = self.slots[i].1.saturating_add(ns);
                true
            }
            Err(_) if n == Self::CAP => false,
            Err(i) => {
                self.slots.copy_within(i..n, i + 1);
                self.slots[i] = (cpu, ns);
                self.len += 1;
                true
            }
        }
    }

    /// From pairs in any order; returns the time of the CPUs there was no room for.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u32, u64)>) -> (Self, u64) {
        let mut out = CpuNs::default();
        let mut rest = 0u64;
        for (cpu, ns) in pairs {
            if !out.add(cpu, ns) {
                rest = rest.saturating_add(ns);
            }
        }
        (out, rest)
    }
}

impl std::ops::Deref for CpuNs {
    type Target = [(u32, u64)];
    fn deref(&self) -> &[(u32, u64)] {
        &self.slots[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for CpuNs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for CpuNs {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for CpuNs {}

/// Tests and fixtures: `vec![(cpu, ns), ...].into()`. Pairs beyond `CAP` CPUs are dropped
/// (`from_pairs` says how much time they held).
impl From<Vec<(u32, u64)>> for CpuNs {
    fn from(v: Vec<(u32, u64)>) -> Self {
        CpuNs::from_pairs(v).0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waker {
    pub tid: u32,
    pub comm: Comm,
}
