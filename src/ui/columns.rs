//! The table's columns: every one the tree can show, the two sets `c` switches between, and
//! the user's choice of them (from the config file or the column editor). NAME is not in the
//! lists: it is always the last column and takes the width that is left.

use crate::model::SortKey;

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
}

pub struct ColumnSpec {
    /// The name in the config file (the sort key's name where there is one).
    pub name: &'static str,
    pub title: &'static str,
    pub width: u16,
    pub sort: Option<SortKey>,
    pub left: bool,
    /// On a terminal too narrow for every chosen column, the highest ranks go first.
    pub drop_rank: u8,
    /// One line for the column editor and the README.
    pub about: &'static str,
}

impl Column {
    pub const ALL: [Column; 16] = [
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
    ];

    pub fn spec(self) -> ColumnSpec {
        let s = |name, title, width, sort, left, drop_rank, about| ColumnSpec {
            name,
            title,
            width,
            sort,
            left,
            drop_rank,
            about,
        };
        use SortKey as K;
        match self {
            Column::Tid => s("tid", "TID", 7, Some(K::Tid), false, 0, "task id (gettid)"),
            Column::Tgid => s(
                "tgid",
                "TGID",
                7,
                None,
                false,
                4,
                "thread group id: the process (getpid)",
            ),
            Column::User => s("user", "USER", 8, None, true, 7, "owner (real uid)"),
            Column::State => s(
                "state",
                "S",
                1,
                Some(K::State),
                true,
                1,
                "state: R runnable, S sleeping, D uninterruptible, ...",
            ),
            Column::Cpu => s(
                "cpu",
                "CPU%",
                5,
                Some(K::Cpu),
                false,
                2,
                "CPU use since the last refresh",
            ),
            Column::LastCpu => s(
                "last-cpu",
                "CPU",
                3,
                Some(K::LastCpu),
                false,
                3,
                "the CPU it last ran on",
            ),
            Column::Nice => s("nice", "NI", 3, Some(K::Nice), false, 6, "nice value"),
            Column::Prio => s("prio", "PRI", 4, None, false, 8, "kernel priority"),
            Column::Switches => s(
                "switches",
                "SW/s",
                6,
                Some(K::Switches),
                false,
                5,
                "context switches per second",
            ),
            Column::Threads => s(
                "threads",
                "THR",
                4,
                None,
                false,
                9,
                "threads in the process or pool",
            ),
            Column::Affinity => s(
                "affinity",
                "AFFINITY",
                9,
                None,
                true,
                4,
                "CPUs it may run on",
            ),
            Column::Policy => s(
                "policy",
                "POLICY",
                8,
                Some(K::Policy),
                true,
                7,
                "scheduling policy (normal, batch, fifo, rr, ...)",
            ),
            Column::RtPrio => s(
                "rt-priority",
                "RTP",
                3,
                Some(K::RtPriority),
                false,
                9,
                "real-time priority",
            ),
            Column::Wait => s(
                "wait",
                "WAIT%",
                5,
                Some(K::Wait),
                false,
                5,
                "time spent runnable but waiting for a CPU",
            ),
            Column::Voluntary => s(
                "voluntary",
                "VOL/s",
                6,
                Some(K::Voluntary),
                false,
                6,
                "voluntary switches per second (it blocked)",
            ),
            Column::Involuntary => s(
                "involuntary",
                "INV/s",
                6,
                Some(K::Involuntary),
                false,
                6,
                "involuntary switches per second (preempted)",
            ),
        }
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Shows a field only `status` has (the allowed CPUs, the voluntary and involuntary
    /// switch counts), so the rows on screen need it read. SW/s does not: schedstat's
    /// timeslice count, read for every task every tick, gives it within one switch.
    pub fn needs_status(self) -> bool {
        matches!(
            self,
            Column::Affinity | Column::Voluntary | Column::Involuntary
        )
    }

    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
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
            if let Some(k) = c.spec().sort {
                assert_eq!(k.name(), c.name(), "a column and its sort key share a name");
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
