//! `threadtop record`: headless, one snapshot per tick appended to the file.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Header, Recorder};
use crate::collect::{DetailPlan, Scanner, Snapshot, now_boot_ns};

pub struct Options<'a> {
    pub proc_root: &'a Path,
    pub file: &'a Path,
    pub interval: Duration,
    pub duration: Option<Duration>,
    /// Only these processes (and every field of their tasks); empty = all.
    pub pids: &'a [u32],
    /// The scheduling events' source (`--events`), started by the caller; `None`: not
    /// collected.
    pub events: Option<crate::collect::events::source::Start>,
}

/// Records until the duration ends or a termination signal arrives. Returns (ticks, bytes).
pub fn record(o: Options) -> Result<(u64, u64), String> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| format!("signals: {e}"))?;
    }
    let header = Header {
        start_unix_ns: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
        start_boot_ns: now_boot_ns(),
        interval_ns: o.interval.as_nanos() as u64,
        hostname: rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned(),
    };
    let mut rec =
        Recorder::create(o.file, &header).map_err(|e| format!("{}: {e}", o.file.display()))?;
    let mut events = o.events.map(crate::collect::events::source::Feed::new);
    let mut scanner = Scanner::new(o.proc_root).only(o.pids);
    let mut plan = DetailPlan::default();
    let began = Instant::now();
    let mut ticks = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let tick_start = Instant::now();
        let mut snap: Snapshot = scanner.scan(&plan);
        if let Some(feed) = &mut events {
            feed.fill(&mut snap);
        }
        if !o.pids.is_empty() {
            snap.processes.retain(|p| o.pids.contains(&p.tgid));
            snap.cgroups.procs.retain(|c| o.pids.contains(&c.tgid));
            keep_events_of(&mut snap);
            // Their tasks get every field from the next tick on.
            plan.tids = snap.tasks().map(|t| t.tid).collect();
            plan.sched_tgid = None;
        }
        rec.write(snap)
            .map_err(|e| format!("{}: {e}", o.file.display()))?;
        ticks += 1;
        if o.duration.is_some_and(|d| began.elapsed() >= d) {
            break;
        }
        // Sleep in small steps so a signal ends the recording promptly.
        let next = tick_start + o.interval;
        while !stop.load(Ordering::Relaxed) {
            let left = next.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
    Ok((ticks, rec.bytes))
}

/// With `-p`, only the recorded processes' event figures are kept.
fn keep_events_of(snap: &mut Snapshot) {
    use crate::collect::events::Events;
    let Events::Bpf(tick) = &snap.events else {
        return;
    };
    let keys: std::collections::HashSet<_> = snap
        .processes
        .iter()
        .flat_map(|p| p.tasks.iter())
        .map(|t| t.key())
        .collect();
    let mut tick = crate::collect::events::EventTick::clone(tick);
    tick.tasks.retain(|k| keys.contains(k));
    snap.events = Events::Bpf(Arc::new(tick));
}
