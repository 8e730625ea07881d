//! The explain card leads with the scheduling events' sentence (model::derived), and says
//! nothing of them without events.

mod fixture;

use std::sync::Arc;

use fixture::*;
use threadtop::collect::events::{EventTick, Events, TaskEvents, Waker};
use threadtop::collect::{Comm, Snapshot};
use threadtop::model::derived::Derived;
use threadtop::model::*;

fn with_events(snap: &mut Snapshot) {
    let key = snap
        .processes
        .iter()
        .flat_map(|p| p.tasks.iter())
        .find(|t| t.tid == 201)
        .map(|t| t.key())
        .expect("worker-0");
    let mut tick = EventTick {
        interval_ns: Some(SEC),
        ..EventTick::default()
    };
    tick.tasks.insert(
        key,
        TaskEvents {
            waits: 1240,
            p99_ns: Some(4_100_000),
            max_ns: Some(38_000_000),
            // 2026-11-29 12:03:41 UTC
            max_at_unix_ns: Some(1_795_953_821_000_000_000),
            woken_by: Some(Waker {
                tid: 4411,
                comm: Comm::new(b"acceptor"),
            }),
            ..TaskEvents::default()
        },
    );
    snap.events = Events::Bpf(Arc::new(tick));
}

fn card(snap: Snapshot, tid: u32, offset: i64) -> Vec<String> {
    let m = Model::new(Some(Arc::new(machine(10, 0))), Arc::new(snap));
    let rows = m.rows(&ViewOptions::default());
    let row = rows
        .iter()
        .find(|r| r.tid == tid && r.kind == RowKind::Thread)
        .expect("row");
    Derived::compute(&m.current, Some(row), true, false, offset)
        .explain
        .expect("a card")
}

#[test]
fn the_card_leads_with_the_worst_wait_its_time_the_p99_and_the_waker() {
    let mut snap = machine(11, SEC);
    with_events(&mut snap);
    let lines = card(snap, 201, 3600);
    assert!(lines[0].starts_with("worker-0: task 201"), "{lines:?}");
    assert_eq!(
        lines[1],
        "Waited up to 38 ms for a CPU at 13:03:41 (p99 4.1 ms over 1,240 waits); usually woken by `acceptor` (4411)."
    );
}

#[test]
fn without_events_or_figures_the_card_says_nothing_of_them() {
    let plain = card(machine(11, SEC), 201, 0);
    assert!(
        !plain.iter().any(|l| l.starts_with("Waited up to")),
        "{plain:?}"
    );
    // Events on, but this thread had no waits and no waker: no sentence for it.
    let mut snap = machine(11, SEC);
    with_events(&mut snap);
    let other = card(snap, 202, 0);
    assert!(
        !other
            .iter()
            .any(|l| l.starts_with("Waited up to") || l.contains("woken by")),
        "{other:?}"
    );
    assert_eq!(other[1], plain[1], "the card is otherwise unchanged");
}
