//! The explain card never calls "nothing shared" what could not be compared (a parent
//! owned by root seen as another user, PID 1): unknown reads as unknown.

mod fixture;

use std::collections::HashMap;
use std::sync::Arc;

use fixture::*;
use threadtop::collect::share::Why;
use threadtop::collect::{Group, Resource, ShareReport, Shares, Snapshot, TaskKey, TaskRef};
use threadtop::model::explain::explain;

fn key(s: &Snapshot, tid: u32) -> TaskKey {
    s.tasks().find(|t| t.tid == tid).expect("task").key()
}

/// bash (100) and its parent init (1); bash's groups are known, init's as `parent`.
fn card(parent: impl Fn(Resource) -> Group) -> String {
    let mut s = machine(11, 0);
    let (me, up) = (key(&s, 100), key(&s, 1));
    let shares = HashMap::from([
        (me, Shares::from_fn(|r| Group::Id(r as u64 + 1))),
        (up, Shares::from_fn(parent)),
    ]);
    let tasks = [(me, 100), (up, 1)]
        .map(|(key, tgid)| TaskRef {
            key,
            tgid,
            kernel: false,
            zombie: false,
        })
        .to_vec();
    s.shares = Some(Arc::new(ShareReport {
        tgid: 100,
        tasks,
        shares,
    }));
    explain(&s, me).expect("card").join("\n")
}

#[test]
fn a_parent_that_could_not_be_compared_is_not_said_to_share_nothing() {
    let c = card(|_| Group::Unknown(Why::Denied));
    assert!(!c.contains("shares nothing with it"), "{c}");
    assert!(!c.contains("made by fork()"), "{c}");
    assert!(c.contains("shares nothing known with it"), "{c}");
    assert!(
        c.contains(
            "Whether it shares VM, FILES, FS, SIGHAND with its parent is unknown: not permitted"
        ),
        "{c}"
    );
}

#[test]
fn a_parent_that_was_compared_and_shares_nothing_says_so() {
    // Every group differs from bash's: a plain fork().
    let c = card(|r| Group::Id(r as u64 + 100));
    assert!(c.contains("shares nothing with it"), "{c}");
    assert!(c.contains("made by fork()"), "{c}");
    assert!(!c.contains("unknown"), "{c}");
}
