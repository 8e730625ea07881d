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

#[test]
fn cgroup_column_names_each_tasks_cgroup_and_dashes_the_unknown() {
    let m = Model::new(
        Some(Arc::new(machine_in_cgroups(10, 0, 0))),
        Arc::new(machine_in_cgroups(11, SEC, 5)),
    );
    let opts = ViewOptions {
        tree: false,
        sort: Column::Cgroup,
        ..ViewOptions::default()
    };
    let rows = m.rows(&opts);
    let cell = |tid: u32, kind: RowKind| {
        let r = rows
            .iter()
            .find(|r| r.tid == tid && r.kind == kind)
            .expect("row shown");
        Column::Cgroup.cell(r).0
    };
    assert_eq!(cell(1, RowKind::Process), "init.scope");
    assert_eq!(cell(100, RowKind::Process), "session-3.scope");
    assert_eq!(cell(200, RowKind::Process), "pool.service");
    assert_eq!(cell(201, RowKind::Thread), "pool.service");
    // A thread of the pool in a threaded child cgroup: its own, not its process's.
    assert_eq!(cell(202, RowKind::Thread), "web");
    // Unknown (a kernel thread whose cgroup was not read) is `-`, never guessed.
    assert_eq!(cell(2, RowKind::Process), "-");
    // Sorted on it: by name, the unknown first.
    let order: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Process)
        .map(|r| r.tid)
        .collect();
    assert_eq!(order, vec![2, 3, 4, 1, 200, 100]);
    let threads: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread)
        .map(|r| r.tid)
        .collect();
    assert_eq!(threads, vec![200, 201, 203, 202]);
}

#[test]
fn cgroup_column_is_named_everywhere_a_column_is_chosen_and_in_the_scheduling_set() {
    assert_eq!(Column::from_name("cgroup"), Some(Column::Cgroup));
    assert!(
        Column::ALL.contains(&Column::Cgroup),
        "in the column editor"
    );
    assert_eq!(
        SortKey::parse("cgroup"),
        Some(Column::Cgroup),
        "--sort cgroup"
    );
    assert_eq!(
        ColumnLayout::parse_list(&["tid", "cgroup"]),
        Ok(vec![Column::Tid, Column::Cgroup])
    );
    assert!(
        ColumnLayout::default().scheduling.contains(&Column::Cgroup),
        "in the scheduling set"
    );
    assert_eq!(Column::Cgroup.spec().title, "CGROUP");
    // The cgroup tracker reads every task's cgroup each tick: no status read needed.
    assert!(!Column::Cgroup.needs_status() && !Column::Cgroup.needs_detail());
}

/// A task's event figures in a fixture: TID, waits, p99 ms, max ms, waker (TID, name).
type Figures = (u32, u32, u64, u64, Option<(u32, &'static [u8])>);

/// `machine` with scheduling events: per TID its waits (count, p99 ms, max ms) and waker.
fn with_events(figures: &[Figures]) -> threadtop::collect::Snapshot {
    with_events_on(machine(11, SEC), figures)
}

/// `s` with scheduling events, as `with_events`.
fn with_events_on(
    mut s: threadtop::collect::Snapshot,
    figures: &[Figures],
) -> threadtop::collect::Snapshot {
    use threadtop::collect::events::{EventTick, Events, TaskEvents, Waker};
    let mut tick = EventTick {
        interval_ns: Some(SEC),
        ..EventTick::default()
    };
    for t in s.processes.iter().flat_map(|p| p.tasks.iter()) {
        if let Some(&(_, waits, p99, max, waker)) = figures.iter().find(|x| x.0 == t.tid) {
            tick.tasks.insert(
                t.key(),
                TaskEvents {
                    waits,
                    p99_ns: Some(p99 * 1_000_000),
                    max_ns: Some(max * 1_000_000),
                    woken_by: waker.map(|(tid, comm)| Waker {
                        tid,
                        comm: threadtop::collect::Comm::new(comm),
                    }),
                    ..TaskEvents::default()
                },
            );
        }
    }
    s.events = Events::Bpf(Arc::new(tick));
    s
}

#[test]
fn lat_p99_lat_max_and_woken_by_come_from_the_events_and_sort() {
    let snap = with_events(&[
        (201, 50, 4, 38, Some((202, b"worker-1"))),
        (202, 900, 2, 3, Some((201, b"worker-0"))),
        (1, 3, 1, 1, Some((200, b"evil\x1b[31m"))),
    ]);
    let m = Model::new(Some(Arc::new(machine(10, 0))), Arc::new(snap));
    let opts = ViewOptions {
        tree: false,
        sort: Column::LatMax,
        ..ViewOptions::default()
    };
    let rows = m.rows(&opts);
    let row = |tid: u32, kind: RowKind| {
        rows.iter()
            .find(|r| r.tid == tid && r.kind == kind)
            .expect("row shown")
    };
    let w0 = row(201, RowKind::Thread);
    assert_eq!(Column::LatP99.cell(w0).0, "4.0ms");
    assert_eq!(Column::LatMax.cell(w0).0, "38ms");
    assert_eq!(Column::WokenBy.cell(w0).0, "worker-1 (202)");
    assert_eq!(
        Column::WokenBy.cell(row(202, RowKind::Thread)).0,
        "worker-0 (201)"
    );
    // No waits in the tick: unknown, not zero; a thread nobody woke: `-`.
    let io = row(203, RowKind::Thread);
    assert_eq!(Column::LatP99.cell(io).0, "-");
    assert_eq!(Column::WokenBy.cell(io).0, "-");
    // A process: its worst thread's figures; a waker only for a single-threaded one,
    // its name escaped.
    let pool = row(200, RowKind::Process);
    assert_eq!(Column::LatMax.cell(pool).0, "38ms");
    assert_eq!(Column::LatP99.cell(pool).0, "4.0ms");
    assert_eq!(Column::WokenBy.cell(pool).0, "-");
    let init = Column::WokenBy.cell(row(1, RowKind::Process)).0;
    assert!(
        init.starts_with("evil") && !init.contains('\x1b'),
        "{init:?}"
    );
    // Sorted on LAT max: the longest wait first.
    let threads: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| r.tid)
        .take(2)
        .collect();
    assert_eq!(threads, vec![201, 202]);
    assert!(Column::LatMax.descending() && Column::LatP99.descending());
    let by_p99 = m.rows(&ViewOptions {
        sort: Column::LatP99,
        ..opts.clone()
    });
    let first = by_p99
        .iter()
        .find(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| r.tid);
    assert_eq!(first, Some(201));
    let by_waker = m.rows(&ViewOptions {
        sort: Column::WokenBy,
        ..opts
    });
    let wakers: Vec<String> = by_waker
        .iter()
        .filter(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| Column::WokenBy.cell(r).0)
        .collect();
    assert_eq!(wakers, vec!["-", "-", "worker-0 (201)", "worker-1 (202)"]);
}

#[test]
fn without_events_the_event_columns_are_unknown_and_named_everywhere() {
    let m = Model::new(Some(Arc::new(machine(10, 0))), Arc::new(machine(11, SEC)));
    for r in m.rows(&ViewOptions::default()) {
        for c in [Column::LatP99, Column::LatMax, Column::WokenBy] {
            assert_eq!(c.cell(&r).0, if r.unreadable { "?" } else { "-" }, "{c:?}");
        }
    }
    for (name, c) in [
        ("lat-p99", Column::LatP99),
        ("lat-max", Column::LatMax),
        ("woken-by", Column::WokenBy),
    ] {
        assert_eq!(Column::from_name(name), Some(c));
        assert_eq!(SortKey::parse(name), Some(c), "--sort {name}");
        assert!(Column::ALL.contains(&c), "in the column editor");
        assert!(
            ColumnLayout::default().scheduling.contains(&c),
            "in the scheduling set"
        );
        assert!(!c.needs_status());
    }
}

/// A process of four threads over one second: `spin` on a CPU 970 ms, `starve` 300 ms
/// with 650 ms waiting for one, `nap` asleep every round, `gone` not sampled.
fn why_model() -> Model {
    use threadtop::collect::waits::{Reason, TaskSamples, WaitSamples};
    use threadtop::collect::{SchedStat, TaskKey};
    let mk = |at: u64, scale: u64| {
        let tasks = vec![
            t(101, b"spin", b'R', 0),
            t(102, b"starve", b'R', 0),
            t(103, b"nap", b'S', 0),
            t(104, b"gone", b'S', 0),
        ];
        let mut s = snap(at, vec![p(100, 1, b"app\0", tasks)]);
        let figures = [(970, 0), (300, 650), (1, 0), (1, 0)];
        for (task, (r, w)) in s.processes[0].tasks.iter_mut().zip(figures) {
            task.schedstat = Ok(SchedStat {
                run_ns: r * 1_000_000 * scale + 1_000_000,
                wait_ns: w * 1_000_000 * scale,
                timeslices: scale + 1,
            });
        }
        s
    };
    let samples = |runnable: u32, sleep: u32| {
        let mut s = TaskSamples {
            tgid: 100,
            runnable,
            samples: runnable + sleep,
            ..TaskSamples::default()
        };
        s.off[Reason::Sleep as usize] = sleep;
        s
    };
    let key = |tid: u32| TaskKey {
        tid,
        start_ticks: u64::from(tid),
    };
    let mut tasks = std::collections::HashMap::new();
    tasks.insert(key(101), samples(20, 0));
    tasks.insert(key(102), samples(20, 0));
    tasks.insert(key(103), samples(0, 20));
    let a = mk(10, 0);
    let mut b = mk(11, 1);
    b.waits = Some(Arc::new(WaitSamples {
        tasks,
        rounds: 20,
        period_ns: 50_000_000,
    }));
    Model::new(Some(Arc::new(a)), Arc::new(b))
}

#[test]
fn why_column_shows_the_verdicts_short_form_and_sorts_most_waiting_first() {
    let m = why_model();
    let opts = ViewOptions {
        sort: Column::Why,
        ..ViewOptions::default()
    };
    let rows = m.rows(&opts);
    let cell = |tid: u32| {
        let r = rows
            .iter()
            .find(|r| r.tid == tid && r.kind == RowKind::Thread);
        Column::Why.cell(r.expect("row")).0
    };
    assert_eq!(cell(101), "busy");
    assert_eq!(cell(102), "CPU-starved");
    // A verdict without a head is shown whole.
    assert_eq!(cell(103), "sleeping 100 % of the last second");
    // Not sampled: unknown, never guessed.
    assert_eq!(cell(104), "-");
    // The whole sentence is the model's; the column holds its head.
    let w = &m.why.tasks[&rows.iter().find(|r| r.tid == 102).expect("102").key];
    assert!(w.verdict.starts_with("CPU-starved: "), "{}", w.verdict);
    // Most waiting first (nap 100 % off CPU, starve 65 % for a CPU, spin 3 %), unknown last.
    let order: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread)
        .map(|r| r.tid)
        .collect();
    assert_eq!(order, vec![103, 102, 101, 104]);
    assert_eq!(Column::Why.spec().title, "WHY");
}

#[test]
fn why_column_is_named_everywhere_a_column_is_chosen() {
    assert_eq!(Column::from_name("why"), Some(Column::Why));
    assert!(Column::ALL.contains(&Column::Why), "in the column editor");
    assert_eq!(SortKey::parse("why"), Some(Column::Why), "--sort why");
    assert_eq!(
        ColumnLayout::parse_list(&["tid", "why"]),
        Ok(vec![Column::Tid, Column::Why])
    );
}

/// `machine` with memory for the pool process (200) and bash (100), and `/proc/TID/io`
/// counts for the pool's threads: 203's unreadable (another user's task).
fn with_memory_and_io(at_secs: u64, io_scale: u64) -> threadtop::collect::Snapshot {
    use threadtop::collect::{Statm, TaskIo, Unreadable};
    let mut s = machine(at_secs, SEC);
    for p in &mut s.processes {
        match p.tgid {
            200 => {
                p.rss_bytes = 3 << 20;
                p.statm = Some(Ok(Statm {
                    size_pages: 25_600, // 100 MiB at 4 KiB pages
                    resident_pages: 768,
                    shared_pages: 256, // 1 MiB
                }));
                p.task_io = vec![
                    (
                        200,
                        Ok(TaskIo {
                            read_bytes: 0,
                            write_bytes: 0,
                        }),
                    ),
                    (
                        201,
                        Ok(TaskIo {
                            read_bytes: io_scale * 2048,
                            write_bytes: io_scale * (1 << 20),
                        }),
                    ),
                    (
                        202,
                        Ok(TaskIo {
                            read_bytes: io_scale * 512 * 1024,
                            write_bytes: 0,
                        }),
                    ),
                    (203, Err(Unreadable::Denied)),
                ];
            }
            100 => {
                p.rss_bytes = 8 << 20;
                p.statm = Some(Ok(Statm {
                    size_pages: 2560,
                    resident_pages: 2048,
                    shared_pages: 512,
                }));
            }
            _ => {}
        }
    }
    s
}

fn rows_sorted(sort: Column, tree: bool) -> Vec<Row> {
    // One second apart: the I/O counts grew by exactly one `io_scale` step.
    let m = Model::new(
        Some(Arc::new(with_memory_and_io(10, 1))),
        Arc::new(with_memory_and_io(11, 2)),
    );
    m.rows(&ViewOptions {
        tree,
        sort,
        ..ViewOptions::default()
    })
}

fn find(rows: &[Row], tid: u32, kind: RowKind) -> &Row {
    rows.iter()
        .find(|r| r.tid == tid && r.kind == kind)
        .expect("row shown")
}

#[test]
fn memory_columns_show_the_process_figures_and_a_dash_on_thread_rows() {
    let rows = rows_sorted(Column::Res, false);
    let p = find(&rows, 200, RowKind::Process);
    assert_eq!(p.rss_bytes, Some(3 << 20));
    assert_eq!(Column::Res.cell(p).0, "3.0M");
    assert_eq!(p.virt_bytes, Some(100 << 20));
    assert_eq!(Column::Virt.cell(p).0, "100M");
    assert_eq!(Column::Shr.cell(p).0, "1.0M");
    // 3 MiB of the fixture's 8 GiB.
    let pct = p.mem_percent.expect("known");
    assert!((pct - 3.0 * 100.0 / 8192.0).abs() < 1e-9, "{pct}");
    assert_eq!(Column::MemPercent.cell(p).0, "0.0");
    let bash = find(&rows, 100, RowKind::Process);
    assert_eq!(Column::Res.cell(bash).0, "8.0M");
    assert_eq!(Column::MemPercent.cell(bash).0, "0.1");
    // Threads share their process's memory: a dash, not a copy of it.
    let w0 = find(&rows, 201, RowKind::Thread);
    for c in [Column::Res, Column::Virt, Column::Shr, Column::MemPercent] {
        assert_eq!(c.cell(w0).0, "-", "{c:?}");
    }
    // A process without statm read (kthreadd here) shows VIRT and SHR unknown.
    let kthreadd = find(&rows, 2, RowKind::Process);
    assert_eq!(Column::Virt.cell(kthreadd).0, "-");
    // Sorted on RES: the biggest process first.
    let order: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Process)
        .map(|r| r.tid)
        .take(2)
        .collect();
    assert_eq!(order, vec![100, 200]);
    let order: Vec<u32> = rows_sorted(Column::Virt, false)
        .iter()
        .filter(|r| r.kind == RowKind::Process)
        .map(|r| r.tid)
        .take(2)
        .collect();
    assert_eq!(order, vec![200, 100], "VIRT: 100 MiB before 10 MiB");
}

#[test]
fn io_columns_are_per_task_rates_with_a_dash_and_reason_where_unreadable() {
    let rows = rows_sorted(Column::IoWrite, false);
    let w0 = find(&rows, 201, RowKind::Thread);
    assert_eq!(w0.io_read_per_sec, Some(2048.0));
    assert_eq!(Column::IoRead.cell(w0).0, "2.0K");
    assert_eq!(w0.io_write_per_sec, Some((1 << 20) as f64));
    assert_eq!(Column::IoWrite.cell(w0).0, "1.0M");
    let w1 = find(&rows, 202, RowKind::Thread);
    assert_eq!(Column::IoRead.cell(w1).0, "512K");
    assert_eq!(Column::IoWrite.cell(w1).0, "0");
    let denied = find(&rows, 203, RowKind::Thread);
    assert_eq!(Column::IoRead.cell(denied).0, "-");
    assert_eq!(Column::IoWrite.cell(denied).0, "-");
    assert_eq!(denied.io_why, Some("permission denied"));
    // The process sums the rates its threads have.
    let p = find(&rows, 200, RowKind::Process);
    assert_eq!(p.io_read_per_sec, Some(2048.0 + 512.0 * 1024.0));
    // Sorted on IOW/s: the writer first among its process's threads, unknown last.
    let threads: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| r.tid)
        .collect();
    assert_eq!(threads.first(), Some(&201));
    assert_eq!(threads.last(), Some(&203));
    let threads: Vec<u32> = rows_sorted(Column::IoRead, false)
        .iter()
        .filter(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| r.tid)
        .collect();
    assert_eq!(threads, vec![202, 201, 200, 203]);
    // The explain card says why the cells are dashes.
    let m = Model::new(None, Arc::new(with_memory_and_io(11, 2)));
    let key = m
        .current
        .processes
        .iter()
        .flat_map(|p| p.tasks.iter())
        .find(|t| t.tid == 203)
        .expect("task")
        .key();
    let card = threadtop::model::explain::explain(&m.current, key).expect("card");
    assert!(
        card.iter()
            .any(|l| l.contains("/proc/203/io") && l.contains("permission denied")),
        "{card:?}"
    );
}

#[test]
fn memory_and_io_columns_are_named_everywhere_and_drive_the_detail_plan() {
    for (name, c) in [
        ("res", Column::Res),
        ("virt", Column::Virt),
        ("shr", Column::Shr),
        ("mem", Column::MemPercent),
        ("ior", Column::IoRead),
        ("iow", Column::IoWrite),
    ] {
        assert_eq!(Column::from_name(name), Some(c));
        assert_eq!(SortKey::parse(name), Some(c), "--sort {name}");
        assert!(Column::ALL.contains(&c), "in the column editor");
    }
    // RES and MEM% come from stat (every tick); VIRT and SHR from statm, the rates from io.
    assert!(!Column::Res.needs_statm() && !Column::MemPercent.needs_statm());
    assert!(Column::Virt.needs_statm() && Column::Shr.needs_statm());
    assert!(Column::IoRead.needs_io() && Column::IoWrite.needs_io());
    assert_eq!(Column::IoRead.spec().shown, &[Source::Io]);
    assert_eq!(Column::Virt.spec().shown, &[Source::Statm]);
}

/// A process row's and a pool row's LAT cells, read from the front of each thread's
/// record, are what merging each thread's fully decoded row gives: the worst p99 and max,
/// the waker only for a single thread; with waits, without, missing, refused, no tick.
#[test]
fn process_and_pool_latency_match_the_merge_of_their_threads() {
    use threadtop::collect::events::Events;
    use threadtop::model::events::{RowEvents, of_task};
    let cases: [&[Figures]; 5] = [
        &[
            (201, 50, 4, 38, Some((202, b"worker-1"))),
            (202, 900, 2, 3, None),
        ],
        &[(201, 0, 4, 38, None), (202, 7, 9, 12, Some((1, b"init")))],
        &[
            (200, 3, 1, 2, None),
            (203, 1, 50, 50, None),
            (1, 3, 1, 1, Some((200, b"pool"))),
        ],
        &[(202, 0, 0, 0, None), (204, 2, 70, 90, None)],
        &[],
    ];
    // A pool of 20 workers (pools form in processes of 16 threads or more) beside its
    // leader and an io thread; workers 0, 1 and 2 are TIDs 201, 202 and 204.
    let machine_with_pool = |at: u64| {
        let mut tasks = vec![
            t(200, b"pool", b'S', 0),
            t(201, b"worker-0", b'R', at * SEC / 20).cpu(0),
            t(202, b"worker-1", b'S', 0).cpu(1),
            t(204, b"worker-2", b'S', 0).cpu(1),
            t(203, b"io-1", b'D', 0),
        ];
        for i in 3..20u32 {
            let name = format!("worker-{i}").into_bytes().into_boxed_slice();
            tasks.push(t(207 + i, Box::leak(name), b'S', 0));
        }
        snap(
            at,
            vec![
                p(1, 0, b"/sbin/init", vec![t(1, b"init", b'S', SEC / 100)]),
                p(200, 1, b"./pool", tasks),
            ],
        )
    };
    for (n, figures) in cases.iter().enumerate() {
        for refused in [0, 3] {
            let mut snap = with_events_on(machine_with_pool(11), figures);
            if let Events::Bpf(tick) = &mut snap.events {
                Arc::make_mut(tick).refused_in_tick = refused;
            }
            let prev = Arc::new(machine_with_pool(10));
            let m = Model::new(Some(prev), Arc::new(snap.clone()));
            let rows = m.rows(&ViewOptions::default());
            let flat = m.rows(&ViewOptions {
                tree: false,
                ..ViewOptions::default()
            });
            for p in &snap.processes {
                let each: Vec<RowEvents> = p
                    .tasks
                    .iter()
                    .map(|t| {
                        of_task(&snap.events, t)
                            .map_or_else(RowEvents::default, |e| RowEvents::of(&e))
                    })
                    .collect();
                let want = RowEvents::merge(&each);
                let got = rows
                    .iter()
                    .chain(&flat)
                    .find(|r| r.tgid == p.tgid && r.kind == RowKind::Process)
                    .map(|r| r.events.clone());
                assert_eq!(
                    got,
                    Some(want),
                    "case {n}, refused {refused}, process {}",
                    p.tgid
                );
            }
            // The pool (worker-0..19, folded in the tree): their worst.
            let members: Vec<RowEvents> = snap
                .processes
                .iter()
                .flat_map(|p| &p.tasks)
                .filter(|t| t.comm.starts_with(b"worker-"))
                .map(|t| {
                    of_task(&snap.events, t).map_or_else(RowEvents::default, |e| RowEvents::of(&e))
                })
                .collect();
            let want = RowEvents::merge(&members);
            let pool = rows
                .iter()
                .find(|r| r.kind == RowKind::Pool)
                .expect("the workers' pool row");
            assert_eq!(
                (pool.events.p99_ns, pool.events.max_ns),
                (want.p99_ns, want.max_ns),
                "case {n}, refused {refused}"
            );
        }
    }
}
