//! The collector thread: scans on its own tick and hands each owned snapshot to a sink.
//!
//! The UI never touches /proc. It steers the collector through `Control` messages (the
//! interval, which tasks need detail, "scan now"). A slow scan stretches the tick rather
//! than queueing scans up: the next one starts `interval` after the previous one began,
//! or at once if the scan took longer than that.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::events::source::Feed;
use super::scan::{DetailPlan, Scanner};
use super::share::{self, ShareReport};
use super::snapshot::Snapshot;
use super::waits::Sampler;

#[derive(Debug, Clone)]
pub enum Control {
    Interval(Duration),
    Detail(DetailPlan),
    ScanNow,
}

/// A process on screen with more tasks than this gets only its rows on screen sampled: a
/// round costs about 4 µs a task (see `waits::sampler::BUDGET_OF_SCAN`), so 256 tasks are
/// 1 ms a round, and the rounds of a bigger one would crowd the rows out of the budget.
pub const WHY_PROCESS_MAX: usize = 256;

/// Rounds an interval at least when the scheduling events are on, instead of the
/// sampler's `MIN_ROUNDS` (10): the events split the time off a CPU exactly for every task
/// they saw go off one, so samples only name what a task waits on (and the reason of one
/// blocked the whole interval, which any one sample gives). Ten rounds of the rows on
/// screen cost 10-15 ms of CPU a second, more than the whole scan at 1,000 threads.
pub const MIN_ROUNDS_WITH_EVENTS: u32 = 2;

/// How long the full scan after the quick first pass waits for the UI to draw that pass.
pub const FIRST_FRAME_WAIT: Duration = Duration::from_millis(100);

/// How soon the scan after the first full one follows it, so rates (CPU %) show up
/// quickly instead of a whole refresh interval after start.
pub const FIRST_RATE_INTERVAL: Duration = Duration::from_millis(200);

/// The collector's last snapshot is still unread: it does not start another scan until
/// the display has taken it. On a saturated machine (load 100-300 beside a 10,000-thread
/// workload) the display fell behind and snapshots queued, each with its task list and
/// event figures: the 10-minute soak's peak RSS rose to 17.8 MiB (/proc) and 36.3 MiB
/// (events) while the steady RSS stayed flat. Waiting instead, the next snapshot covers
/// the longer interval, rates and event figures alike (the events' generation is bumped
/// only by a scan).
#[derive(Debug, Default)]
pub struct Backlog {
    unread: AtomicBool,
}

impl Backlog {
    pub fn new() -> Arc<Backlog> {
        Arc::new(Backlog::default())
    }

    /// The display has taken the last snapshot (and dropped the one before it).
    pub fn taken(&self) {
        self.unread.store(false, Ordering::Release);
    }

    fn sent(&self) {
        self.unread.store(true, Ordering::Release);
    }

    pub fn unread(&self) -> bool {
        self.unread.load(Ordering::Acquire)
    }
}

/// How often a collector held back by an unread snapshot looks again (and takes control
/// messages meanwhile). Only while the display is behind.
const BACKLOG_POLL: Duration = Duration::from_millis(10);

pub struct Collector {
    control: Sender<Control>,
    handle: Option<JoinHandle<()>>,
}

impl Collector {
    /// Starts the thread. `sink` receives each snapshot and returns false once nobody
    /// listens any more, which ends the thread.
    pub fn spawn<F>(root: PathBuf, interval: Duration, plan: DetailPlan, sink: F) -> Self
    where
        F: FnMut(Box<Snapshot>) -> bool + Send + 'static,
    {
        Self::spawn_with_events(root, interval, plan, None, sink)
    }

    /// As `spawn`, with scheduling events: each snapshot carries the figures of the tick
    /// that ended as it was taken (`Feed::fill`), or why there are none. `None`: snapshots
    /// say events were not collected.
    pub fn spawn_with_events<F>(
        root: PathBuf,
        interval: Duration,
        plan: DetailPlan,
        events: Option<Feed>,
        sink: F,
    ) -> Self
    where
        F: FnMut(Box<Snapshot>) -> bool + Send + 'static,
    {
        Self::spawn_gated(root, interval, plan, events, None, sink)
    }

    /// As `spawn_with_events`; with a `backlog`, no scan starts while the last snapshot
    /// is unread (the consumer calls [`Backlog::taken`]).
    pub fn spawn_gated<F>(
        root: PathBuf,
        interval: Duration,
        plan: DetailPlan,
        events: Option<Feed>,
        backlog: Option<Arc<Backlog>>,
        sink: F,
    ) -> Self
    where
        F: FnMut(Box<Snapshot>) -> bool + Send + 'static,
    {
        super::heap::tune_allocator();
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("tt-collect".into())
            .spawn(move || run(root, interval, plan, events, backlog, rx, sink))
            .ok();
        Collector {
            control: tx,
            handle,
        }
    }

    pub fn send(&self, c: Control) {
        // A dead collector shows up as snapshots stopping; nothing to do here.
        let _ = self.control.send(c);
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        // Dropping `control` wakes the thread and ends it; do not wait for a slow scan.
        let _ = self.handle.take();
    }
}

fn run<F>(
    root: PathBuf,
    mut interval: Duration,
    mut plan: DetailPlan,
    mut events: Option<Feed>,
    backlog: Option<Arc<Backlog>>,
    rx: Receiver<Control>,
    mut sink: F,
) where
    F: FnMut(Box<Snapshot>) -> bool,
{
    // The task iterator follows `--events`: tried with them, not with `--events off`.
    // The event source loads the iterator with its own parse of the kernel's BTF (one
    // parse, not two); when the events are off for another reason it is tried alone.
    let mut scanner = match &mut events {
        None => Scanner::new(&root),
        Some(Feed::Off(why)) if why.contains("--events off") => {
            Scanner::new(&root).with_task_iter(super::events::Mode::Off)
        }
        // `-p`: as `--json -p` (see `task_iter::NOT_WITH_PIDS`).
        Some(_) if !plan.pids.is_empty() => {
            Scanner::new(&root).without_task_iter(super::task_iter::NOT_WITH_PIDS)
        }
        // Loaded with the events, and taken from them once they have loaded (below).
        Some(Feed::Deferred(_) | Feed::Loading(_)) => {
            Scanner::new(&root).without_task_iter("loading with the scheduling events")
        }
        Some(feed) => match feed.take_task_iter() {
            Some(loaded) => Scanner::new(&root).with_loaded_task_iter(loaded),
            None => Scanner::new(&root).with_task_iter(super::events::Mode::Auto),
        },
    };
    let mut scans = 0u64;
    let mut shares: Option<std::sync::Arc<ShareReport>> = None;
    let mut sampler = Sampler::new(&root);
    loop {
        let began = Instant::now();
        // On a large machine the first frame waits a little for the load (see
        // `Feed::first_frame_wait`); elsewhere the load starts once it is drawn.
        let wait = match &events {
            Some(Feed::Deferred(_)) if scans == 0 => first_frame_wait(&root),
            _ => None,
        };
        if (scans == 1 || wait.is_some())
            && let Some(feed) = &mut events
        {
            // The first frame is drawn (or its wait is over), or on a large machine it is
            // about to be scanned: the events load beside the scans from now on.
            feed.start_deferred();
        }
        if let Some(feed) = &mut events
            && feed.settle_within(wait.unwrap_or_default())
            && plan.pids.is_empty()
        {
            // Loaded in the background: from this scan on, tasks come from the iterator
            // and the events count from this tick (their first tick has no figures).
            // Not loaded: the scanner's reason is the events', no longer "loading".
            let loaded = match feed {
                Feed::Off(why) => Err(format!("the scheduling events did not load: {why}")),
                _ => feed
                    .take_task_iter()
                    .unwrap_or_else(|| Err("not loaded with the scheduling events".into())),
            };
            scanner.set_task_iter(loaded);
        }
        // The first frame comes from a pass over `stat` only (half the files to open); the
        // full scan right after it is the baseline the first rates are computed against.
        let first_pass = scans == 0;
        let mut snap = if first_pass {
            scanner.scan_first_pass(&plan)
        } else {
            scanner.scan(&plan)
        };
        if let Some(tgid) = plan.share_tgid {
            // kcmp costs a syscall per comparison: recompute only when the selection or
            // the set of tasks changed.
            let tasks = share::report_tasks(&snap, tgid);
            let fresh = match &shares {
                Some(r) if r.tgid == tgid && r.tasks == tasks => r.clone(),
                _ => std::sync::Arc::new(ShareReport {
                    tgid,
                    shares: share::compute(&root, &tasks),
                    tasks,
                }),
            };
            snap.shares = Some(fresh.clone());
            shares = Some(fresh);
        }
        if let Some(feed) = &mut events {
            feed.fill(&mut snap);
        }
        let waits = sampler.take();
        if waits.rounds > 0 {
            snap.waits = Some(std::sync::Arc::new(waits));
        }
        sampler.set_tasks(sampled_tasks(&snap, &plan));
        // As `--json` does: at least `MIN_ROUNDS` rounds an interval when few tasks are
        // sampled (`-p`: a scan of one process is so cheap that a tenth of it buys at most
        // one round, and one sample a second cannot split the time off a CPU); fewer with
        // the events on, which split that time themselves.
        let min_rounds = rounds_floor(matches!(events, Some(Feed::On(_))), &sampler);
        let mut next_round = sampler
            .plan_at_least(interval, Duration::from_nanos(snap.scan_ns), min_rounds)
            .map(|p| (Instant::now() + p, p));
        scans += 1;
        if let Some(b) = &backlog {
            b.sent();
        }
        if !sink(Box::new(snap)) {
            return;
        }
        let deadline = if first_pass {
            // The full scan waits for the first frame to be drawn (the UI sends `ScanNow`
            // then), so the two do not share the CPU; at most this long.
            Instant::now() + FIRST_FRAME_WAIT
        } else if scans == 2 {
            // Counted from the end of the first scan, not its start: a first scan slower
            // than the interval (10,000 threads) would otherwise start the second one at
            // once, and it would take the CPU from the first frame's model and render.
            Instant::now() + FIRST_RATE_INTERVAL.min(interval)
        } else {
            began + interval
        };
        loop {
            if let Some((at, every)) = next_round
                && at < deadline
            {
                // Sampling rounds between scans, until the scan is due.
                let left = at.saturating_duration_since(Instant::now());
                let msg = match rx.recv_timeout(left) {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                match msg {
                    None => {
                        sampler.round();
                        next_round = Some((at + every, every));
                        continue;
                    }
                    Some(Control::Interval(d)) => {
                        interval = d;
                        break;
                    }
                    Some(Control::Detail(p)) => {
                        // The new set is sampled from the next scan on.
                        plan = p;
                        continue;
                    }
                    Some(Control::ScanNow) => break,
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            // Past the deadline, what is already waiting is still taken (a new detail
            // plan matters for the scan about to start).
            let msg = if left.is_zero() {
                match rx.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            } else {
                match rx.recv_timeout(left) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            };
            match msg {
                Control::Interval(d) => {
                    interval = d;
                    break;
                }
                Control::Detail(p) => plan = p,
                Control::ScanNow => break,
            }
        }
        // The scan is due; not while the display has yet to take the last one.
        while backlog.as_ref().is_some_and(|b| b.unread()) {
            if let Some((at, every)) = next_round
                && at <= Instant::now()
            {
                sampler.round();
                next_round = Some((at + every, every));
            }
            match rx.recv_timeout(BACKLOG_POLL) {
                Ok(Control::Interval(d)) => interval = d,
                Ok(Control::Detail(p)) => plan = p,
                Ok(Control::ScanNow) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// The rounds an interval gets at least, whatever the budget says.
fn rounds_floor(events_on: bool, sampler: &super::waits::Sampler) -> u32 {
    if events_on {
        sampler.min_rounds().min(MIN_ROUNDS_WITH_EVENTS)
    } else {
        sampler.min_rounds()
    }
}

/// Tests: every machine counts as large and the first frame waits this many ms for the
/// load (`Feed::first_frame_wait`), so that path is tested without 20,000 threads.
pub const TEST_FIRST_FRAME_WAIT_ENV: &str = "THREADTOP_TEST_FIRST_FRAME_WAIT_MS";

/// How long the first frame waits for a deferred load on this machine, if at all.
fn first_frame_wait(root: &std::path::Path) -> Option<Duration> {
    if let Some(ms) = std::env::var(TEST_FIRST_FRAME_WAIT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    Feed::first_frame_wait(super::scan::tasks_on_machine_at(root))
}

/// The tasks whose waits are sampled between scans, as (TGID, TID): every task when the
/// plan reads all (`--json`), else the rows on screen, the explain card's task, and every
/// task of the selected process and of the processes with a process or pool row on screen
/// (`why_tgids`; their verdicts are about all their threads) up to [`WHY_PROCESS_MAX`]
/// tasks each.
pub fn sampled_tasks(snap: &Snapshot, plan: &DetailPlan) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    if plan.no_waits && !plan.all {
        return out;
    }
    for p in &snap.processes {
        if p.is_kernel() {
            continue;
        }
        let whole = plan.all
            || plan.sched_tgid == Some(p.tgid)
            || (plan.why_tgids.contains(&p.tgid) && p.tasks.len() <= WHY_PROCESS_MAX);
        for t in &p.tasks {
            if whole
                || plan.screen.contains(&t.tid)
                || plan.tids.contains(&t.tid)
                || plan.explain_tid == Some(t.tid)
            {
                out.push((p.tgid, t.tid));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the events on, few sampled tasks get 2 rounds an interval at least, not the
    /// sampler's 10 (the events split the time off a CPU); without them, 10.
    #[test]
    fn the_events_lower_the_rounds_floor() {
        let mut sampler = super::super::waits::Sampler::new("/proc");
        sampler.set_tasks(vec![(1, 1), (2, 2)]);
        assert_eq!(
            rounds_floor(false, &sampler),
            super::super::waits::sampler::MIN_ROUNDS
        );
        assert_eq!(rounds_floor(true, &sampler), MIN_ROUNDS_WITH_EVENTS);
        const { assert!(MIN_ROUNDS_WITH_EVENTS < super::super::waits::sampler::MIN_ROUNDS) };
    }
}
