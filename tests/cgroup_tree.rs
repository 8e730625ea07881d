//! The table grouped by cgroup (`z`): cgroup rows with their processes and threads under
//! them, folded like processes, from a fixture snapshot.

mod fixture;

use std::sync::Arc;

use fixture::*;
use threadtop::model::cgroup_tree::cgroup_key;
use threadtop::model::*;

fn model() -> Model {
    Model::new(
        Some(Arc::new(machine_in_cgroups(10, 0, 0))),
        Arc::new(machine_in_cgroups(11, SEC, 5)),
    )
}

fn by_cgroup() -> ViewOptions {
    ViewOptions {
        by_cgroup: true,
        sort: SortKey::Tid,
        ..ViewOptions::default()
    }
}

/// `kind name tid depth` per row, for comparing the shape.
fn shape(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{:?} {} {} {}", r.kind, r.name, r.tid, r.depth))
        .collect()
}

#[test]
fn tasks_are_grouped_under_their_cgroup_and_a_split_process_appears_under_each() {
    let rows = model().rows(&by_cgroup());
    // Sorted by TID: cgroup rows have none (0), so they tie and go by TID too; what matters
    // is what is under what.
    let s = shape(&rows);
    let at = |name: &str| {
        s.iter()
            .position(|l| l.starts_with(&format!("Cgroup {name} ")))
            .unwrap_or_else(|| panic!("{name} row: {s:#?}"))
    };
    let pool = at("pool.service");
    assert_eq!(
        s[pool + 1..pool + 5],
        [
            "Process pool 200 1",
            "Thread pool 200 2",
            "Thread worker-0 201 2",
            "Thread io-1 203 2",
        ],
        "{s:#?}"
    );
    // worker-1 (202) sits in the threaded child `web`: its process shows there too, with
    // only that thread, and its sums are that thread's.
    let web = at("web");
    assert_eq!(
        s[web + 1..web + 3],
        ["Process pool 200 1", "Thread worker-1 202 2"],
        "{s:#?}"
    );
    let web_proc = &rows[web + 1];
    let worker1 = &rows[web + 2];
    assert_eq!(web_proc.cpu_percent, worker1.cpu_percent);
    assert_eq!(web_proc.threads, 1);
    // The cgroup row sums its tasks and counts them.
    assert_eq!(rows[pool].threads, 3);
    assert_eq!(rows[at("init.scope")].threads, 1);
    assert_eq!(
        Column::Cgroup.cell(&rows[pool]).0,
        "pool.service",
        "a cgroup row names itself in CGROUP"
    );
    assert_eq!(
        Column::Tid.cell(&rows[pool]).0,
        "",
        "a cgroup row has no TID"
    );
    // Kernel threads whose cgroup was not read are grouped as unknown, never guessed.
    let unknown = at("-");
    assert_eq!(rows[unknown].command, "cgroup unknown");
    assert_eq!(rows[unknown].threads, 3);
    // Every task shown exactly once.
    let mut tids: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread || (r.kind == RowKind::Process && !r.foldable))
        .map(|r| r.tid)
        .collect();
    tids.sort_unstable();
    assert_eq!(tids, vec![1, 2, 3, 4, 100, 200, 201, 202, 203]);
}

#[test]
fn a_folded_cgroup_hides_its_tasks_and_a_folded_process_its_threads() {
    let m = model();
    let mut opts = by_cgroup();
    opts.folded
        .insert(cgroup_key(b"/system.slice/pool.service"));
    let rows = m.rows(&opts);
    let s = shape(&rows);
    let pool = s
        .iter()
        .position(|l| l.starts_with("Cgroup pool.service "))
        .expect("pool.service row");
    assert!(rows[pool].folded && rows[pool].foldable);
    assert!(
        !s.iter().any(|l| l == "Thread worker-0 201 2"),
        "folded: {s:#?}"
    );
    // The other cgroups are open.
    assert!(s.iter().any(|l| l == "Thread worker-1 202 2"), "{s:#?}");
    // Folding the process under `web` hides its thread there.
    let mut opts = by_cgroup();
    opts.folded.insert(m.current.processes[5].key());
    assert_eq!(m.current.processes[5].tgid, 200);
    let s = shape(&m.rows(&opts));
    assert!(!s.iter().any(|l| l.starts_with("Thread")), "{s:#?}");
    // Off, the tree is back.
    let s = shape(&m.rows(&ViewOptions::default()));
    assert!(!s.iter().any(|l| l.starts_with("Cgroup")), "{s:#?}");
}

#[test]
fn the_filter_and_the_cgroup_option_apply_within_the_grouping() {
    let m = model();
    let mut opts = by_cgroup();
    opts.filter = Filter::parse("worker-");
    let s = shape(&m.rows(&opts));
    assert_eq!(
        s,
        [
            "Cgroup pool.service 0 0",
            "Process pool 200 1",
            "Thread worker-0 201 2",
            "Cgroup web 0 0",
            "Process pool 200 1",
            "Thread worker-1 202 2",
        ]
    );
}
