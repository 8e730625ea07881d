//! Pure and deterministic: snapshots in, the view out. No I/O, no terminal types.

pub mod cgroup_tree;
pub mod cgroups;
pub mod columns;
pub mod derived;
pub mod events;
pub mod explain;
pub mod filter;
pub mod format;
pub mod placement;
pub mod pools;
pub mod rates;
pub mod shares;
pub mod signals;
pub mod summary;
pub mod syscalls;
pub mod verdict;
pub mod view;
pub mod why;

use std::sync::Arc;

use crate::collect::Snapshot;

pub use columns::{Column, ColumnLayout, ColumnSet, SortKey};
pub use filter::Filter;
pub use placement::{Placement, Track, dominant_cpu, runnable_by_cpu, share_strip};
pub use rates::{
    IoRate, KeyMap, Rates, TaskRate, cpu_usage, io_rates, task_rates, task_rates_into,
};
pub use summary::{Summary, summarize};
pub use view::{Row, RowKind, ViewOptions, build_rows, policy_name};

/// The latest snapshot and everything derived from it and the one before that does not
/// depend on view options (those only reorder and hide rows). The snapshot before is
/// dropped once the rates are computed: at 10,000 tasks that is 1.8 MiB less held while
/// the collector builds the next one.
#[derive(Debug, Clone)]
pub struct Model {
    pub current: Arc<Snapshot>,
    /// When the snapshot the rates were computed against was taken (`boot_ns`).
    pub previous_boot_ns: Option<u64>,
    pub rates: Rates,
    /// Storage I/O per second of the tasks whose `io` was read in both snapshots.
    pub io_rates: KeyMap<IoRate>,
    pub cpus: Vec<(u32, Option<f64>)>,
    pub summary: Summary,
    /// CPU history of every live task over the last ticks.
    pub placement: Placement,
    /// Rates of the current snapshot's cgroups (same order as its `cgroups.groups`).
    pub cgroups: Vec<cgroups::CgroupRate>,
    /// The last interval's breakdowns and verdicts (the WHY column), once per tick;
    /// empty until `ensure_why` when the model was built without them.
    pub why: why::Why,
    why_done: bool,
}

impl Model {
    pub fn new(previous: Option<Arc<Snapshot>>, current: Arc<Snapshot>) -> Self {
        Model::new_with(previous, current, true)
    }

    /// As `new`; without `why`, the breakdowns and verdicts wait for `ensure_why`.
    pub fn new_with(previous: Option<Arc<Snapshot>>, current: Arc<Snapshot>, why: bool) -> Self {
        Model::build(
            previous,
            current,
            Placement::default(),
            Rates::default(),
            why,
        )
    }

    fn build(
        previous: Option<Arc<Snapshot>>,
        current: Arc<Snapshot>,
        history: Placement,
        mut rates: Rates,
        why: bool,
    ) -> Self {
        task_rates_into(previous.as_deref(), &current, &mut rates);
        let io_rates = io_rates(previous.as_deref(), &current);
        // The table's IOR/s and IOW/s columns read them beside the other rates.
        for (key, io) in &io_rates {
            rates.set_io(key, io.read_bytes_per_sec, io.write_bytes_per_sec);
        }
        let cpus = cpu_usage(previous.as_deref(), &current);
        let summary = summarize(&current);
        let placement = history.advance(&current);
        let cgroups = cgroups::cgroup_rates(previous.as_deref(), &current);
        let mut m = Model {
            current,
            previous_boot_ns: previous.map(|p| p.boot_ns),
            rates,
            io_rates,
            cpus,
            summary,
            placement,
            cgroups,
            why: why::Why::default(),
            why_done: false,
        };
        if why {
            m.ensure_why();
        }
        m
    }

    /// Computes the breakdowns and verdicts if they were not. With the scheduling events
    /// every task has a breakdown: at 10,000 threads that was 7.6 MB of heap and 150,000
    /// allocations a tick (heaptrack) for a default view that shows none of it, so the
    /// TUI asks only while the WHY column, the why pane or the explain card is shown.
    pub fn ensure_why(&mut self) {
        if !self.why_done {
            self.why = why::of_model(self);
            self.why_done = true;
        }
    }

    /// Whether `why` holds this interval's breakdowns (else they were not asked for).
    pub fn has_why(&self) -> bool {
        self.why_done
    }

    /// Folds the next snapshot in; the current one becomes the history.
    pub fn advance(self, next: Arc<Snapshot>) -> Model {
        self.advance_with(next, true)
    }

    /// As `advance`; without `why`, the breakdowns and verdicts wait for `ensure_why`.
    pub fn advance_with(self, next: Arc<Snapshot>, why: bool) -> Model {
        // The old rates' map is cleared and filled again, not kept beside the new one (at
        // 10,000 tasks that is 1.5 MiB less at the peak of every tick) nor freed and
        // allocated again (a fresh mapping, page-faulted in every tick).
        let Model {
            current,
            rates,
            placement,
            ..
        } = self;
        Model::build(Some(current), next, placement, rates, why)
    }

    /// Whether start-up is over: there are rates (the quick first pass and a full scan
    /// came in) and the scheduling events are loaded, off or given up.
    pub fn start_up_over(&self) -> bool {
        self.interval_secs().is_some() && !self.current.events.is_loading()
    }

    /// Seconds between the two snapshots the rates cover.
    pub fn interval_secs(&self) -> Option<f64> {
        self.previous_boot_ns
            .map(|p| self.current.boot_ns.saturating_sub(p) as f64 / 1e9)
    }

    pub fn rows(&self, opts: &ViewOptions) -> Vec<Row> {
        view::build_rows_why(&self.current, &self.rates, opts, &self.why)
    }
}
