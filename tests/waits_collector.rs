//! The collector thread samples what the tasks on screen and the selected process wait on
//! between its scans, and attaches the interval's samples to the next snapshot.

mod support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use threadtop::collect::waits::{FdWhat, Reason, Target, WaitSamples};
use threadtop::collect::{Collector, DetailPlan};

/// Snapshots' samples until `ready` holds for one (a loaded machine may delay rounds).
fn until(plan: DetailPlan, ready: impl Fn(&WaitSamples) -> bool) -> WaitSamples {
    let (tx, rx) = mpsc::channel();
    let _c = Collector::spawn(
        PathBuf::from("/proc"),
        Duration::from_millis(500),
        plan,
        move |s| tx.send(s.waits.clone()).is_ok(),
    );
    let start = Instant::now();
    loop {
        let got = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a snapshot");
        if let Some(w) = got
            && ready(&w)
        {
            return (*w).clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "never saw the samples"
        );
    }
}

#[test]
fn the_selected_process_is_sampled_several_times_a_tick() {
    let w = support::workload(&["--pipe-pool", "2"]);
    let pipe = w.tid("pipe-0").expect("pipe-0");
    let plan = DetailPlan {
        sched_tgid: Some(w.pid),
        ..DetailPlan::default()
    };
    let got = until(plan, |s| {
        s.rounds >= 2
            && s.tasks
                .iter()
                .any(|(k, t)| k.tid == pipe && t.off[Reason::FdWait as usize] >= 2)
    });
    let (_, t) = got
        .tasks
        .iter()
        .find(|(k, _)| k.tid == pipe)
        .expect("pipe-0");
    assert!(
        matches!(t.main_target(), Some(Target::Fd { what: FdWhat::Link { link, .. }, .. }) if link.starts_with(b"pipe:[")),
        "{t:?}"
    );
    // Only the selected process's tasks are sampled.
    let mine: HashSet<u32> = w.tids().into_iter().collect();
    assert!(got.tasks.keys().all(|k| mine.contains(&k.tid)), "{got:?}");
}

#[test]
fn rows_on_screen_are_sampled_and_nothing_else_without_a_selection() {
    let w = support::workload(&["--nap-pool", "2"]);
    let nap = w.tid("nap-1").expect("nap-1");
    let plan = DetailPlan {
        screen: [nap].into_iter().collect(),
        ..DetailPlan::default()
    };
    let got = until(plan, |s| {
        s.tasks
            .iter()
            .any(|(k, t)| k.tid == nap && t.off[Reason::Sleep as usize] >= 2)
    });
    assert_eq!(got.tasks.len(), 1, "{got:?}");
}

#[test]
fn a_chosen_process_is_sampled_at_least_ten_times_an_interval_however_cheap_its_scan() {
    // `-p`: a scan of one small process costs well under a millisecond, and a tenth of it
    // bought one round an interval at most (every verdict then read "unknown" live).
    let w = support::workload(&["--nap-pool", "2"]);
    let nap = w.tid("nap-0").expect("nap-0");
    let plan = DetailPlan {
        pids: vec![w.pid],
        why_tgids: vec![w.pid],
        ..DetailPlan::default()
    };
    let got = until(plan, |s| {
        s.rounds >= 3
            && s.tasks
                .iter()
                .any(|(k, t)| k.tid == nap && t.off[Reason::Sleep as usize] >= 3)
    });
    // Every thread of the process, not only a row on screen.
    let mine: HashSet<u32> = w.tids().into_iter().collect();
    let seen: HashSet<u32> = got.tasks.keys().map(|k| k.tid).collect();
    assert_eq!(seen, mine, "{got:?}");
}
