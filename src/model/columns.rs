//! The table's columns as one table: for every column, its name, title, width and
//! alignment, which /proc source fills it, how a cell is formatted and how it sorts. The
//! tree widget draws what this says, the sort orders by it, and the collector's
//! `DetailPlan` is derived from the sources of the columns shown and sorted on.
//!
//! Also the two sets `c` switches between, and the user's choice of them (from the config
//! file or the column editor). NAME is not in the lists: it is always the last column and
//! takes the width that is left; it is a column here so it can be the sort key.
//!
//! Adding a column: a variant, its row in [`Column::spec`], its cell in [`Column::cell`],
//! its order in [`Column::compare`] (see CONTRIBUTING.md).

use std::cmp::Ordering;

use super::events::wait_cell;
use super::format;
use super::view::{Row, RowKind, policy_name, state_rank};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Column {
    Tid,
    Tgid,
    User,
    State,
    Cpu,
    LastCpu,
    Nice,
    Prio,
    Switches,
    Threads,
    Affinity,
    Policy,
    RtPrio,
    Wait,
    Voluntary,
    Involuntary,
    /// Cumulative CPU time (utime + stime), as htop's TIME+.
    CpuTime,
    /// The process's resident memory, as htop's RES.
    Res,
    /// The process's address space, as htop's VIRT.
    Virt,
    /// The process's resident shared pages, as htop's SHR.
    Shr,
    /// RES as % of the machine's memory, as htop's MEM%.
    MemPercent,
    /// Storage bytes read per second by the task (`/proc/TID/io`).
    IoRead,
    /// Storage bytes written per second by the task.
    IoWrite,
    /// The readable name of the task's cgroup (systemd unit, container, last component).
    Cgroup,
    /// Scheduling events: the 99th percentile and the longest run-queue wait in the tick.
    LatP99,
    LatMax,
    /// Scheduling events: the task that did most of its wakeups.
    WokenBy,
    /// The verdict: what its time went to in the last interval, in a word or two.
    Why,
    /// The task's name (and a process's command line): always drawn last, never listed.
    Name,
}

/// The sort key is a sortable column: one enum, so a column and its order cannot disagree.
pub type SortKey = Column;

/// Where a column's value comes from. `stat` and `schedstat` are read for every task every
/// tick; `status` (the expensive one) only for the tasks the plan names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Source {
    Stat,
    Schedstat,
    Status,
    /// `/proc/PID/statm` of every process (VIRT, SHR): `DetailPlan::memory`.
    Statm,
    /// `/proc/TID/io` of every task (storage bytes): `DetailPlan::io`.
    Io,
    /// Filled by the model (rates, sums, the user table), from the sources above.
    Derived,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Order {
    Ascending,
    /// Busiest (or most urgent) first.
    Descending,
}

/// How the widget may colour a cell: the model says what the value is, the theme decides.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum CellHint {
    Plain,
    /// A task state letter.
    State(u8),
    /// A CPU %.
    Busy(f64),
}

pub struct ColumnSpec {
    /// The name in the config file, on the command line and in JSON sort names.
    pub name: &'static str,
    pub title: &'static str,
    pub width: u16,
    pub left: bool,
    /// What must be read for the rows on screen when the column is shown.
    pub shown: &'static [Source],
    /// How it sorts, if it does.
    pub sort: Option<Order>,
    /// What must be read for every task when the table is sorted on it (a sort compares
    /// every task, so a field read for some tasks only would order them by accident).
    pub sorted: &'static [Source],
    /// On a terminal too narrow for every chosen column, the highest ranks go first.
    pub drop_rank: u8,
    /// One line for the column editor and the README.
    pub about: &'static str,
}

/// Shorthands for the table below.
const STAT: &[Source] = &[Source::Stat];
const SCHEDSTAT: &[Source] = &[Source::Schedstat];
const STATUS: &[Source] = &[Source::Status];
const DERIVED: &[Source] = &[Source::Derived];
const STATM: &[Source] = &[Source::Statm];
const IO: &[Source] = &[Source::Io];
const NONE: &[Source] = &[];
const ASC: Option<Order> = Some(Order::Ascending);
const DESC: Option<Order> = Some(Order::Descending);

impl Column {
    /// Every column the lists may hold, in the column editor's order.
    pub const ALL: [Column; 28] = [
        Column::Tid,
        Column::Tgid,
        Column::User,
        Column::State,
        Column::Cpu,
        Column::LastCpu,
        Column::Nice,
        Column::Prio,
        Column::Switches,
        Column::Threads,
        Column::Affinity,
        Column::Policy,
        Column::RtPrio,
        Column::Wait,
        Column::Voluntary,
        Column::Involuntary,
        Column::CpuTime,
        Column::Res,
        Column::Virt,
        Column::Shr,
        Column::MemPercent,
        Column::IoRead,
        Column::IoWrite,
        Column::Cgroup,
        Column::LatP99,
        Column::LatMax,
        Column::WokenBy,
        Column::Why,
    ];

    /// The sortable columns, in the order `s` and `S`... step through them.
    pub const SORTABLE: [Column; 24] = [
        Column::Cpu,
        Column::Tid,
        Column::Name,
        Column::State,
        Column::LastCpu,
        Column::Switches,
        Column::Wait,
        Column::Voluntary,
        Column::Involuntary,
        Column::Policy,
        Column::RtPrio,
        Column::Nice,
        Column::CpuTime,
        Column::Res,
        Column::Virt,
        Column::Shr,
        Column::MemPercent,
        Column::IoRead,
        Column::IoWrite,
        Column::Cgroup,
        Column::LatP99,
        Column::LatMax,
        Column::WokenBy,
        Column::Why,
    ];

    pub fn spec(self) -> ColumnSpec {
        #[allow(clippy::too_many_arguments)]
        fn s(
            name: &'static str,
            title: &'static str,
            width: u16,
            left: bool,
            shown: &'static [Source],
            sort: Option<Order>,
            drop_rank: u8,
            about: &'static str,
        ) -> ColumnSpec {
            ColumnSpec {
                name,
                title,
                width,
                left,
                shown,
                sort,
                sorted: shown,
                drop_rank,
                about,
            }
        }
        match self {
            Column::Tid => s("tid", "TID", 7, false, NONE, ASC, 0, "task id (gettid)"),
            Column::Tgid => s(
                "tgid",
                "TGID",
                7,
                false,
                NONE,
                None,
                4,
                "thread group id: the process (getpid)",
            ),
            Column::User => s(
                "user",
                "USER",
                8,
                true,
                DERIVED,
                None,
                7,
                "owner (real uid)",
            ),
            Column::State => s(
                "state",
                "S",
                1,
                true,
                STAT,
                ASC,
                1,
                "state: R runnable, S sleeping, D uninterruptible, ...",
            ),
            Column::Cpu => s(
                "cpu",
                "CPU%",
                5,
                false,
                STAT,
                DESC,
                2,
                "CPU use since the last refresh",
            ),
            Column::LastCpu => s(
                "last-cpu",
                "CPU",
                3,
                false,
                STAT,
                ASC,
                3,
                "the CPU it last ran on",
            ),
            Column::Nice => s("nice", "NI", 3, false, STAT, ASC, 6, "nice value"),
            Column::Prio => s("prio", "PRI", 4, false, STAT, None, 8, "kernel priority"),
            // Shown, schedstat's timeslice count gives it within one switch; sorted, every
            // task needs the same (exact, `status`) count or the order is by accident.
            Column::Switches => ColumnSpec {
                sorted: STATUS,
                ..s(
                    "switches",
                    "SW/s",
                    6,
                    false,
                    SCHEDSTAT,
                    DESC,
                    5,
                    "context switches per second",
                )
            },
            Column::Threads => s(
                "threads",
                "THR",
                4,
                false,
                DERIVED,
                None,
                9,
                "threads in the process or pool",
            ),
            Column::Affinity => s(
                "affinity",
                "AFFINITY",
                9,
                true,
                STATUS,
                None,
                4,
                "CPUs it may run on",
            ),
            Column::Policy => s(
                "policy",
                "POLICY",
                8,
                true,
                STAT,
                ASC,
                7,
                "scheduling policy (normal, batch, fifo, rr, ...)",
            ),
            Column::RtPrio => s(
                "rt-priority",
                "RTP",
                3,
                false,
                STAT,
                DESC,
                9,
                "real-time priority",
            ),
            Column::Wait => s(
                "wait",
                "WAIT%",
                5,
                false,
                SCHEDSTAT,
                DESC,
                5,
                "time spent runnable but waiting for a CPU",
            ),
            Column::Voluntary => s(
                "voluntary",
                "VOL/s",
                6,
                false,
                STATUS,
                DESC,
                6,
                "voluntary switches per second (it blocked)",
            ),
            Column::Involuntary => s(
                "involuntary",
                "INV/s",
                6,
                false,
                STATUS,
                DESC,
                6,
                "involuntary switches per second (preempted)",
            ),
            Column::CpuTime => s(
                "time",
                "TIME+",
                9,
                false,
                STAT,
                DESC,
                8,
                "CPU time used so far, user + system",
            ),
            // RES is stat's rss field, read every tick; VIRT and SHR need `statm`.
            Column::Res => s(
                "res",
                "RES",
                6,
                false,
                STAT,
                DESC,
                6,
                "resident memory of the process (threads: -)",
            ),
            Column::Virt => s(
                "virt",
                "VIRT",
                6,
                false,
                STATM,
                DESC,
                8,
                "address space of the process (threads: -)",
            ),
            Column::Shr => s(
                "shr",
                "SHR",
                6,
                false,
                STATM,
                DESC,
                8,
                "shared resident memory: files, shm (threads: -)",
            ),
            Column::MemPercent => s(
                "mem",
                "MEM%",
                5,
                false,
                STAT,
                DESC,
                6,
                "RES as % of the machine's memory (threads: -)",
            ),
            Column::IoRead => s(
                "ior",
                "IOR/s",
                6,
                false,
                IO,
                DESC,
                5,
                "storage bytes read per second by the task",
            ),
            Column::IoWrite => s(
                "iow",
                "IOW/s",
                6,
                false,
                IO,
                DESC,
                5,
                "storage bytes written per second by the task",
            ),
            // Read for every task every tick (the collector's cgroup tracker): no source.
            Column::Cgroup => s(
                "cgroup",
                "CGROUP",
                16,
                true,
                DERIVED,
                ASC,
                7,
                "its cgroup: systemd unit, container or last path component",
            ),
            Column::LatP99 => s(
                "lat-p99",
                "LAT p99",
                7,
                false,
                DERIVED,
                DESC,
                // Off (`-`) wherever threadtop is not privileged: they go first.
                11,
                "99th percentile run-queue wait (scheduling events)",
            ),
            Column::LatMax => s(
                "lat-max",
                "LAT max",
                7,
                false,
                DERIVED,
                DESC,
                10,
                "longest run-queue wait (scheduling events)",
            ),
            Column::WokenBy => s(
                "woken-by",
                "WOKEN BY",
                16,
                true,
                DERIVED,
                ASC,
                10,
                "who did most of its wakeups (scheduling events)",
            ),
            Column::Why => s(
                "why",
                "WHY",
                14,
                true,
                DERIVED,
                // Most waiting (for a CPU, a lock, I/O...) first.
                DESC,
                9,
                "the last interval's verdict: busy, CPU-starved, idle...",
            ),
            Column::Name => s("name", "NAME", 4, true, NONE, ASC, 0, "task name"),
        }
    }

    /// The cell's text, and what it shows for the theme to colour.
    pub fn cell(self, r: &Row) -> (String, CellHint) {
        let plain = |s: String| (s, CellHint::Plain);
        if r.unreadable && !matches!(self, Column::Tid | Column::Tgid | Column::State) {
            return plain("?".into());
        }
        // A cgroup row is no task: no ids, no per-task settings.
        if r.kind == RowKind::Cgroup
            && !matches!(
                self,
                Column::State
                    | Column::Cpu
                    | Column::Switches
                    | Column::Threads
                    | Column::Wait
                    | Column::Voluntary
                    | Column::Involuntary
                    | Column::CpuTime
                    | Column::Cgroup
                    | Column::Why
                    | Column::Name
            )
        {
            return plain(String::new());
        }
        match self {
            Column::Tid => plain(r.tid.to_string()),
            Column::Tgid => plain(r.tgid.to_string()),
            Column::User => plain(r.user.clone()),
            Column::State => ((r.state as char).to_string(), CellHint::State(r.state)),
            Column::Cpu => (
                format::percent(r.cpu_percent),
                CellHint::Busy(r.cpu_percent.unwrap_or(0.0)),
            ),
            Column::LastCpu => plain(r.processor.map_or("-".into(), |p| p.to_string())),
            Column::Nice => plain(r.nice.to_string()),
            Column::Prio => plain(r.priority.to_string()),
            Column::Switches => plain(format::rate(r.switches_per_sec)),
            Column::Threads => plain(if r.kind != RowKind::Thread {
                // Never cut from the left: 10,001 threads read `10k`, not `0001`.
                super::format::count(r.threads as u64)
            } else {
                String::new()
            }),
            Column::Affinity => plain(r.affinity.clone().unwrap_or_else(|| "-".into())),
            Column::Policy => plain(policy_name(r.policy).into()),
            Column::RtPrio => plain(r.rt_priority.to_string()),
            Column::Wait => plain(format::percent(r.wait_percent)),
            Column::Voluntary => plain(format::rate(r.voluntary_per_sec)),
            Column::Involuntary => plain(format::rate(r.involuntary_per_sec)),
            Column::CpuTime => plain(format::cpu_time(r.cpu_time_cs)),
            Column::Res => plain(r.rss_bytes.map_or("-".into(), format::bytes)),
            Column::Virt => plain(r.virt_bytes.map_or("-".into(), format::bytes)),
            Column::Shr => plain(r.shared_bytes.map_or("-".into(), format::bytes)),
            Column::MemPercent => plain(format::percent(r.mem_percent)),
            Column::IoRead => plain(format::byte_rate(r.io_read_per_sec)),
            Column::IoWrite => plain(format::byte_rate(r.io_write_per_sec)),
            Column::Cgroup => plain(r.cgroup.as_deref().unwrap_or("-").to_string()),
            Column::LatP99 => plain(wait_cell(r.events.p99_ns)),
            Column::LatMax => plain(wait_cell(r.events.max_ns)),
            Column::WokenBy => plain(
                r.events
                    .woken_by
                    .as_ref()
                    .map_or("-".into(), |(tid, name)| format!("{name} ({tid})")),
            ),
            Column::Why => plain(r.why.as_deref().unwrap_or("-").to_string()),
            Column::Name => plain(r.name.clone()),
        }
    }

    /// Orders two rows by this column's value, smallest first (the spec's order and the
    /// user's reverse are applied by the caller). Columns that do not sort compare equal.
    pub fn compare(self, a: &Row, b: &Row) -> Ordering {
        match self {
            Column::Cpu => cmp_shown(a.cpu_percent, b.cpu_percent, format::percent_shown),
            Column::Switches => {
                cmp_shown(a.switches_per_sec, b.switches_per_sec, format::rate_shown)
            }
            Column::Tid => a.tid.cmp(&b.tid),
            Column::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            Column::State => state_rank(a.state).cmp(&state_rank(b.state)),
            Column::LastCpu => a.processor.cmp(&b.processor),
            Column::Wait => cmp_shown(a.wait_percent, b.wait_percent, format::percent_shown),
            Column::Voluntary => {
                cmp_shown(a.voluntary_per_sec, b.voluntary_per_sec, format::rate_shown)
            }
            Column::Involuntary => cmp_shown(
                a.involuntary_per_sec,
                b.involuntary_per_sec,
                format::rate_shown,
            ),
            Column::Policy => a.policy.cmp(&b.policy),
            Column::RtPrio => a.rt_priority.cmp(&b.rt_priority),
            Column::Nice => a.nice.cmp(&b.nice),
            Column::CpuTime => a.cpu_time_cs.cmp(&b.cpu_time_cs),
            Column::Res => a.rss_bytes.cmp(&b.rss_bytes),
            Column::Virt => a.virt_bytes.cmp(&b.virt_bytes),
            Column::Shr => a.shared_bytes.cmp(&b.shared_bytes),
            Column::MemPercent => cmp_shown(a.mem_percent, b.mem_percent, format::percent_shown),
            Column::IoRead => cmp_shown(
                a.io_read_per_sec,
                b.io_read_per_sec,
                format::byte_rate_shown,
            ),
            Column::IoWrite => cmp_shown(
                a.io_write_per_sec,
                b.io_write_per_sec,
                format::byte_rate_shown,
            ),
            // Unknown (`None`) first, as `-` sorts before letters.
            Column::Cgroup => a.cgroup.cmp(&b.cgroup),
            Column::LatP99 => a.events.p99_ns.cmp(&b.events.p99_ns),
            Column::LatMax => a.events.max_ns.cmp(&b.events.max_ns),
            // By the waker's name, then its tid; rows without one first.
            Column::WokenBy => woken_key(a).cmp(&woken_key(b)),
            Column::Why => cmp_opt(a.why_share, b.why_share),
            Column::Tgid | Column::User | Column::Prio | Column::Threads | Column::Affinity => {
                Ordering::Equal
            }
        }
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Shows a field only `status` has (the allowed CPUs, the voluntary and involuntary
    /// switch counts), so the rows on screen need it read. SW/s does not: schedstat's
    /// timeslice count, read for every task every tick, gives it within one switch.
    pub fn needs_status(self) -> bool {
        self.spec().shown.contains(&Source::Status)
    }

    /// Shown or sorted on, it needs `/proc/PID/statm` of every process.
    pub fn needs_statm(self) -> bool {
        self.spec().shown.contains(&Source::Statm)
    }

    /// Shown or sorted on, it needs `/proc/TID/io` of every task (a rate needs the
    /// previous tick's count too, so the tasks on screen alone would show `-` on scroll).
    pub fn needs_io(self) -> bool {
        self.spec().shown.contains(&Source::Io)
    }

    /// A column the lists may hold, by its name.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the table can be sorted on it.
    pub fn sortable(self) -> bool {
        self.spec().sort.is_some()
    }

    /// A sort key by its name (`--sort`, the config file).
    pub fn parse(s: &str) -> Option<Column> {
        Column::SORTABLE.into_iter().find(|k| k.name() == s)
    }

    /// Busiest (or most urgent) first for rates and RT priority; everything else ascending.
    pub fn descending(self) -> bool {
        self.spec().sort == DESC
    }

    /// Sorting on this needs `status` for every task, not only the visible ones.
    pub fn needs_detail(self) -> bool {
        self.spec().sorted.contains(&Source::Status)
    }

    pub fn next(self) -> Column {
        let all = Column::SORTABLE;
        let i = all.iter().position(|k| *k == self).unwrap_or(0);
        all[(i + 1) % all.len()]
    }

    pub fn prev(self) -> Column {
        let all = Column::SORTABLE;
        let i = all.iter().position(|k| *k == self).unwrap_or(0);
        all[(i + all.len() - 1) % all.len()]
    }
}

fn woken_key(r: &Row) -> Option<(String, u32)> {
    r.events
        .woken_by
        .as_ref()
        .map(|(tid, name)| (name.to_lowercase(), *tid))
}

/// Unknown sorts below every known value.
/// Orders by the value the cell shows (`shown`), so rows that read the same are ties
/// (broken by TID by the caller) and keep their places from tick to tick.
fn cmp_shown(a: Option<f64>, b: Option<f64>, shown: fn(f64) -> f64) -> Ordering {
    cmp_opt(a.map(shown), b.map(shown))
}

fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Which of the two column lists the table shows; `c` switches between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnSet {
    /// Identity, state, CPU and switches: the overview.
    #[default]
    Basic,
    /// How the scheduler treats each task: placement, policy, priorities, waits.
    Scheduling,
}

impl ColumnSet {
    pub fn next(self) -> ColumnSet {
        match self {
            ColumnSet::Basic => ColumnSet::Scheduling,
            ColumnSet::Scheduling => ColumnSet::Basic,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            ColumnSet::Basic => "basic",
            ColumnSet::Scheduling => "scheduling",
        }
    }
}

/// The columns of each set, in the order shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnLayout {
    pub basic: Vec<Column>,
    pub scheduling: Vec<Column>,
}

impl Default for ColumnLayout {
    fn default() -> Self {
        use Column::*;
        ColumnLayout {
            basic: vec![
                Tid, Tgid, User, State, Cpu, LastCpu, Nice, Prio, Switches, Threads,
            ],
            scheduling: vec![
                Tid,
                State,
                Cpu,
                LastCpu,
                Affinity,
                Policy,
                RtPrio,
                Nice,
                Wait,
                Voluntary,
                Involuntary,
                Cgroup,
                LatP99,
                LatMax,
                WokenBy,
            ],
        }
    }
}

impl ColumnLayout {
    pub fn get(&self, set: ColumnSet) -> &[Column] {
        match set {
            ColumnSet::Basic => &self.basic,
            ColumnSet::Scheduling => &self.scheduling,
        }
    }

    pub fn get_mut(&mut self, set: ColumnSet) -> &mut Vec<Column> {
        match set {
            ColumnSet::Basic => &mut self.basic,
            ColumnSet::Scheduling => &mut self.scheduling,
        }
    }

    /// A list of column names as written in the config file: every name known, none twice.
    /// The error names the offending entry and lists the valid names.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Vec<Column>, String> {
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            let n = n.as_ref();
            let Some(c) = Column::from_name(n) else {
                let valid: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
                return Err(format!(
                    "unknown column {n:?} (columns: {})",
                    valid.join(", ")
                ));
            };
            if out.contains(&c) {
                return Err(format!("column {n:?} is listed twice"));
            }
            out.push(c);
        }
        Ok(out)
    }

    /// The column editor's list for `set`: the shown columns in their order, then the
    /// hidden ones in the canonical order.
    pub fn editor_rows(&self, set: ColumnSet) -> Vec<(Column, bool)> {
        let shown = self.get(set);
        let mut out: Vec<(Column, bool)> = shown.iter().map(|c| (*c, true)).collect();
        out.extend(
            Column::ALL
                .into_iter()
                .filter(|c| !shown.contains(c))
                .map(|c| (c, false)),
        );
        out
    }

    pub fn names(cols: &[Column]) -> Vec<&'static str> {
        cols.iter().map(|c| c.name()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_sort_keys() {
        for c in Column::ALL {
            assert_eq!(Column::from_name(c.name()), Some(c));
            if c.sortable() {
                assert_eq!(Column::parse(c.name()), Some(c), "sortable columns parse");
            }
        }
    }

    #[test]
    fn lists_reject_unknown_and_repeated_names() {
        assert_eq!(
            ColumnLayout::parse_list(&["tid", "cpu"]),
            Ok(vec![Column::Tid, Column::Cpu])
        );
        let e = ColumnLayout::parse_list(&["tid", "cpux"]).expect_err("unknown");
        assert!(e.contains("\"cpux\"") && e.contains("last-cpu"), "{e}");
        let e = ColumnLayout::parse_list(&["cpu", "cpu"]).expect_err("twice");
        assert!(e.contains("twice"), "{e}");
        assert_eq!(ColumnLayout::parse_list::<&str>(&[]), Ok(vec![]));
    }
}
