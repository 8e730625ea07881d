//! The column table: TIME+ (added through "Adding a column" in CONTRIBUTING.md), and what
//! the table promises every column (names parse back, sorting follows the spec).

mod fixture;

use std::sync::Arc;

use fixture::*;
use threadtop::model::columns::{Column, ColumnLayout, Source};
use threadtop::model::*;

/// `machine` with utime/stime set per TID (ticks of 1/CLK_TCK s).
fn with_times(times: &[(u32, u64, u64)]) -> threadtop::collect::Snapshot {
    let mut s = machine(11, SEC);
    for t in s.processes.iter_mut().flat_map(|p| p.tasks.iter_mut()) {
        if let Some(&(_, u, st)) = times.iter().find(|x| x.0 == t.tid) {
            t.utime_ticks = u;
            t.stime_ticks = st;
        }
    }
    s
}

#[test]
fn time_plus_is_user_plus_system_time_and_a_process_sums_its_threads() {
    assert_eq!(CLK_TCK, 100, "the figures below are in hundredths");
    // worker-0: 80 s user + 3.45 s system = 1:23.45; the other pool threads less.
    let snap = with_times(&[(200, 10, 5), (201, 8000, 345), (202, 100, 0), (203, 0, 0)]);
    let m = Model::new(Some(Arc::new(machine(10, 0))), Arc::new(snap));
    let opts = ViewOptions {
        tree: false,
        sort: Column::CpuTime,
        ..ViewOptions::default()
    };
    let rows = m.rows(&opts);
    let row = |tid: u32, kind: RowKind| {
        rows.iter()
            .find(|r| r.tid == tid && r.kind == kind)
            .expect("row shown")
    };
    let w0 = row(201, RowKind::Thread);
    assert_eq!(w0.cpu_time_cs, Some(8345));
    assert_eq!(Column::CpuTime.cell(w0).0, "1:23.45");
    let process = row(200, RowKind::Process);
    assert_eq!(process.cpu_time_cs, Some(15 + 8345 + 100));
    assert_eq!(Column::CpuTime.cell(process).0, "1:24.60");
    // Sorted on it: most CPU time first, as htop's TIME+ does.
    let threads: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| r.tid)
        .collect();
    assert_eq!(threads, vec![201, 202, 200, 203]);
    assert!(Column::CpuTime.descending());
}

#[test]
fn time_plus_is_named_everywhere_a_column_is_chosen() {
    // `--columns`, the config file and the column editor all go by these.
    assert_eq!(Column::from_name("time"), Some(Column::CpuTime));
    assert!(
        Column::ALL.contains(&Column::CpuTime),
        "in the column editor"
    );
    assert_eq!(SortKey::parse("time"), Some(Column::CpuTime), "--sort time");
    assert_eq!(
        ColumnLayout::parse_list(&["tid", "time"]),
        Ok(vec![Column::Tid, Column::CpuTime])
    );
    // Read from stat, which every task has every tick: no detail plan change.
    assert!(!Column::CpuTime.needs_status() && !Column::CpuTime.needs_detail());
    assert_eq!(Column::CpuTime.spec().shown, &[Source::Stat]);
}

#[test]
fn every_sortable_column_parses_back_and_sorting_steps_through_all() {
    let mut k = SortKey::Cpu;
    for _ in 0..Column::SORTABLE.len() {
        assert!(k.sortable(), "{k:?}");
        assert_eq!(SortKey::parse(k.name()), Some(k));
        k = k.next();
    }
    assert_eq!(k, SortKey::Cpu, "s goes round every sortable column");
    for c in Column::ALL {
        assert_eq!(Column::from_name(c.name()), Some(c));
        assert!(c.spec().width >= 1 && !c.spec().title.is_empty());
    }
}
