//! The collector thread with scheduling events: each snapshot carries the tick's figures
//! (or why there are none), so the screen gets them the way `--json` does.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use threadtop::collect::events::source::{Feed, Start, start};
use threadtop::collect::events::{Events, Mode};
use threadtop::collect::{Collector, DetailPlan};

fn snapshots(feed: Feed, n: usize) -> Vec<Events> {
    let (tx, rx) = mpsc::channel();
    let _collector = Collector::spawn_with_events(
        PathBuf::from("/proc"),
        Duration::from_millis(100),
        DetailPlan::default(),
        Some(feed),
        move |s| tx.send(s.events.clone()).is_ok(),
    );
    (0..n)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(60))
                .expect("a snapshot")
        })
        .collect()
}

#[test]
fn each_snapshot_after_the_first_carries_the_ticks_events() {
    let feed = match start(Mode::Auto) {
        Ok(Start::Running(s)) => Feed::On(s),
        Ok(Start::Unavailable(why)) | Err(why) => {
            eprintln!("skipped: scheduling events cannot load here: {why}");
            return;
        }
    };
    let got = snapshots(feed, 4);
    for (i, ev) in got.iter().enumerate() {
        let tick = ev.tick().unwrap_or_else(|| panic!("snapshot {i}: {ev:?}"));
        // The first tick starts the counting; every later one covers an interval.
        assert_eq!(tick.interval_ns.is_some(), i > 0, "snapshot {i}");
    }
    // This test's own process switches (the collector thread sleeps every tick).
    let last = got[3].tick().expect("events");
    assert!(
        last.tasks.keys().any(|k| k.tid == std::process::id()
            || std::fs::read_dir(format!("/proc/self/task/{}", k.tid)).is_ok()),
        "no figures for any of this process's threads"
    );
}

#[test]
fn without_a_source_each_snapshot_says_why() {
    let got = snapshots(Feed::Off("off (--events off)".into()), 2);
    for ev in got {
        assert_eq!(ev.unavailable(), Some("off (--events off)"));
    }
}
