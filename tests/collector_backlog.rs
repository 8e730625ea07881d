//! The live display's collector starts no scan while its last snapshot is unread: on a
//! saturated machine snapshots queued behind a slow display, each a task list and a
//! tick's event figures (peak RSS 36 MiB at 10,000 threads in the soak).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use threadtop::collect::{Backlog, Collector, Control, DetailPlan};

#[test]
fn no_scan_starts_until_the_last_snapshot_is_taken() {
    let (tx, rx) = mpsc::channel();
    let backlog = Backlog::new();
    // Only this test's process, every 20 ms: scans are cheap and would come fast.
    let plan = DetailPlan {
        pids: vec![std::process::id()],
        ..DetailPlan::default()
    };
    let c = Collector::spawn_gated(
        PathBuf::from("/proc"),
        Duration::from_millis(20),
        plan,
        None,
        Some(backlog.clone()),
        move |s| tx.send(s.boot_ns).is_ok(),
    );
    let wait = Duration::from_secs(60);
    let first = rx.recv_timeout(wait).expect("the first snapshot");
    // As the display does once the first frame is out.
    c.send(Control::ScanNow);
    // Unread: 25 intervals pass without another scan.
    assert!(backlog.unread());
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "a scan started while the last snapshot was unread"
    );
    backlog.taken();
    let second = rx.recv_timeout(wait).expect("a scan once it was taken");
    // It was scanned after `taken`, so it covers the whole wait.
    assert!(
        second.saturating_sub(first) >= 500_000_000,
        "{} ns apart",
        second.saturating_sub(first)
    );
    // And again: one snapshot per take.
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    backlog.taken();
    rx.recv_timeout(wait).expect("the next one");
}
