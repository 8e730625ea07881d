//! What the scheduling events say about a task, in the forms the screen and `--json` use:
//! its figures for the tick (or why there are none), the header's source label and the
//! explain card's sentence. Pure: the wall-clock offset comes in as an argument.

use crate::collect::events::{CpuNs, Events, TaskEvents};
use crate::collect::{TaskInfo, TaskKey};
use crate::text::escape;

/// The header's text for where scheduling figures come from.
pub fn source_label(ev: &Events) -> String {
    match ev.unavailable() {
        None => "events: bpf".into(),
        Some(_) if ev.is_loading() => "events: loading".into(),
        // `--events off` gives its own reason, "off (--events off)".
        Some(why) if why.starts_with("off ") => format!("events: {why}"),
        Some(why) => format!("events: off ({why})"),
    }
}

/// One task's event figures for the tick, or `None` when they are not known: events off,
/// the first tick, or the kernel map refused a task this tick (a task missing from it may
/// have had events).
///
/// A task missing from a tick's events had none: no waits, no switches, no CPU time,
/// except that one runnable (`R`) may have held its CPU since before the source loaded
/// (no switch seen yet, so no entry), so its CPU time is unknown rather than zero.
pub fn task_events(ev: &Events, key: TaskKey, state: u8) -> Option<TaskEvents> {
    let tick = ev.tick()?;
    tick.interval_ns?;
    if let Some(e) = tick.tasks.get(&key) {
        return Some(e);
    }
    if tick.refused_in_tick > 0 {
        return None;
    }
    Some(TaskEvents {
        cpu_ns: (state != b'R').then(CpuNs::default),
        ..TaskEvents::default()
    })
}

/// A task's LAT p99 and LAT max cells, as `RowEvents::of(task_events(..))` has them (no
/// waits in the tick, or no figures: `None`), from the front of its record alone.
pub fn latency_cells(ev: &Events, key: TaskKey) -> (Option<u64>, Option<u64>) {
    let Some(tick) = ev.tick().filter(|t| t.interval_ns.is_some()) else {
        return (None, None);
    };
    // A task without an entry had no waits (or its figures were refused): `None` either way.
    match tick.tasks.latency(&key) {
        Some(l) if l.waits > 0 => (l.p99_ns, l.max_ns),
        _ => (None, None),
    }
}

/// The worst LAT p99 and LAT max of `tasks` (each as `latency_cells`): a pool's or a
/// several-threaded process's cells.
pub fn worst_latency<'a>(
    ev: &Events,
    tasks: impl IntoIterator<Item = &'a TaskInfo>,
) -> (Option<u64>, Option<u64>) {
    let (mut p99, mut max) = (None, None);
    for t in tasks {
        let (p, m) = latency_cells(ev, t.key());
        p99 = p99.max(p);
        max = max.max(m);
    }
    (p99, max)
}

/// `task_events` for a scanned task.
pub fn of_task(ev: &Events, t: &TaskInfo) -> Option<TaskEvents> {
    task_events(ev, t.key(), t.state)
}

/// A wait for the explain card: `850 µs`, `4.1 ms`, `38 ms`, `1.2 s`.
pub fn wait_text(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ns < 1_000_000 {
        format!("{} µs", ns / 1000)
    } else if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// `1240` -> `1,240`.
fn thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `HH:MM:SS` of a Unix time in ns, shifted by the local offset from UTC.
fn clock(unix_ns: u64, utc_offset_secs: i64) -> String {
    let secs = (unix_ns / 1_000_000_000) as i64 + utc_offset_secs;
    let day = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

/// A table row's event figures (LAT p99, LAT max, WOKEN BY): `None`s when not known.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowEvents {
    pub p99_ns: Option<u64>,
    pub max_ns: Option<u64>,
    /// Waker's tid and escaped name.
    pub woken_by: Option<(u32, String)>,
}

impl RowEvents {
    /// One task's figures (no waits in the tick: unknown latencies, not zero).
    pub fn of(e: &TaskEvents) -> RowEvents {
        RowEvents {
            p99_ns: e.p99_ns.filter(|_| e.waits > 0),
            max_ns: e.max_ns.filter(|_| e.waits > 0),
            woken_by: e.woken_by.as_ref().map(|w| (w.tid, escape(&w.comm))),
        }
    }

    /// A row for several tasks (a process, a pool): its worst thread's p99 and max; the
    /// waker only when one task stands for all (a single-threaded process), since each
    /// thread's waker is its own. The table's rows get the same from `worst_latency`
    /// without decoding each thread's whole record; this is their reference in
    /// tests/columns.rs.
    pub fn merge(members: &[RowEvents]) -> RowEvents {
        let worst = |f: fn(&RowEvents) -> Option<u64>| members.iter().filter_map(f).max();
        RowEvents {
            p99_ns: worst(|r| r.p99_ns),
            max_ns: worst(|r| r.max_ns),
            woken_by: match members {
                [one] => one.woken_by.clone(),
                _ => None,
            },
        }
    }
}

/// A wait for a table cell, at most 6 characters: `850µs`, `4.1ms`, `38ms`, `1.2s`; `-`
/// when unknown.
pub fn wait_cell(ns: Option<u64>) -> String {
    match ns {
        None => "-".into(),
        Some(ns) => wait_text(ns).replace(' ', ""),
    }
}

/// The explain card's sentence: "waited up to 38 ms for a CPU at 12:03:41 (p99 4.1 ms over
/// 1,240 waits); usually woken by `acceptor` (4411)". `None` when there is nothing to say.
/// Waits are wakeups and preemptions that ended with the task back on a CPU; the waker is
/// named only when it did more than half of the wakeups.
pub fn explain(e: &TaskEvents, utc_offset_secs: i64) -> Option<String> {
    let mut parts = Vec::new();
    if let (Some(max), true) = (e.max_ns, e.waits > 0) {
        let at = e
            .max_at_unix_ns
            .map(|t| format!(" at {}", clock(t, utc_offset_secs)))
            .unwrap_or_default();
        let p99 = e
            .p99_ns
            .map(|p| format!("p99 {} over ", wait_text(p)))
            .unwrap_or_default();
        let n = thousands(e.waits);
        let noun = if e.waits == 1 { "wait" } else { "waits" };
        parts.push(format!(
            "waited up to {} for a CPU{at} ({p99}{n} {noun})",
            wait_text(max)
        ));
    }
    if let Some(w) = &e.woken_by {
        parts.push(format!(
            "usually woken by `{}` ({})",
            escape(&w.comm),
            w.tid
        ));
    } else if e.irq_wakings > e.wakings {
        parts.push("usually woken by a timer or an interrupt".into());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::Comm;
    use crate::collect::events::{EventTick, Waker};
    use std::sync::Arc;

    fn busy() -> TaskEvents {
        TaskEvents {
            waits: 1240,
            p50_ns: Some(300_000),
            p99_ns: Some(4_100_000),
            max_ns: Some(38_000_000),
            // 2026-11-29 12:03:41 UTC
            max_at_unix_ns: Some(1_795_953_821_000_000_000),
            woken_by: Some(Waker {
                tid: 4411,
                comm: Comm::new(b"acceptor"),
            }),
            ..TaskEvents::default()
        }
    }

    #[test]
    fn the_sentence_names_the_worst_wait_its_time_the_p99_and_the_waker() {
        assert_eq!(
            explain(&busy(), 0).as_deref(),
            Some(
                "waited up to 38 ms for a CPU at 12:03:41 (p99 4.1 ms over 1,240 waits); usually woken by `acceptor` (4411)"
            )
        );
        // The local offset moves the clock, not the figures.
        let east = explain(&busy(), 3600).unwrap_or_default();
        assert!(east.contains("at 13:03:41"), "{east}");
    }

    #[test]
    fn parts_without_figures_are_left_out_and_names_are_escaped() {
        let only_waker = TaskEvents {
            woken_by: Some(Waker {
                tid: 7,
                comm: Comm::new(b"evil\x1b[31m"),
            }),
            ..TaskEvents::default()
        };
        let s = explain(&only_waker, 0).unwrap_or_default();
        assert!(s.starts_with("usually woken by `evil"), "{s}");
        assert!(!s.contains('\x1b'), "{s:?}");
        assert_eq!(explain(&TaskEvents::default(), 0), None);
        let timer = TaskEvents {
            irq_wakings: 200,
            wakings: 3,
            ..TaskEvents::default()
        };
        assert_eq!(
            explain(&timer, 0).as_deref(),
            Some("usually woken by a timer or an interrupt")
        );
        assert_eq!(wait_text(850_000), "850 µs");
        assert_eq!(wait_text(1_200_000_000), "1.2 s");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_label_says_the_source_or_why_not() {
        let on = Events::Bpf(Arc::new(EventTick::default()));
        assert_eq!(source_label(&on), "events: bpf");
        let off = Events::Unavailable("needs root or CAP_BPF and CAP_PERFMON".into());
        assert_eq!(
            source_label(&off),
            "events: off (needs root or CAP_BPF and CAP_PERFMON)"
        );
        let asked_off = Events::Unavailable("off (--events off)".into());
        assert_eq!(source_label(&asked_off), "events: off (--events off)");
        let loading = Events::Unavailable(crate::collect::events::source::LOADING.into());
        assert_eq!(source_label(&loading), "events: loading");
    }

    #[test]
    fn a_task_missing_from_the_tick_had_no_events_unless_that_cannot_be_told() {
        let key = TaskKey {
            tid: 5,
            start_ticks: 9,
        };
        let tick = EventTick {
            interval_ns: Some(1_000_000_000),
            ..EventTick::default()
        };
        let on = Events::Bpf(Arc::new(tick.clone()));
        let sleeping = task_events(&on, key, b'S');
        assert_eq!(sleeping.and_then(|e| e.cpu_ns), Some(CpuNs::default()));
        // Runnable since before the source loaded: its CPU time is unknown, not zero.
        let running = task_events(&on, key, b'R');
        assert_eq!(running.map(|e| e.cpu_ns), Some(None));
        // A full map, the first tick, or no events: nothing is known.
        let full = Events::Bpf(Arc::new(EventTick {
            maps_full: 3,
            refused_in_tick: 1,
            ..tick
        }));
        assert!(task_events(&full, key, b'S').is_none());
        let first = Events::Bpf(Arc::new(EventTick::default()));
        assert!(task_events(&first, key, b'S').is_none());
        assert!(task_events(&Events::NotCollected, key, b'S').is_none());
    }
}
