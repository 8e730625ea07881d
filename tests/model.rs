//! The model from fixture snapshots: rates, identity across TID reuse, tree, filter, sort.

mod fixture;

use std::sync::Arc;

use fixture::*;
use threadtop::collect::{TaskInfo, TaskKey, Unreadable};
use threadtop::model::*;

fn model(prev: threadtop::collect::Snapshot, cur: threadtop::collect::Snapshot) -> Model {
    Model::new(Some(Arc::new(prev)), Arc::new(cur))
}

fn names(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{}{}", r.prefix, r.name))
        .collect()
}

fn rate(m: &Model, tid: u32) -> TaskRate {
    let t = m
        .current
        .tasks()
        .find(|t| t.tid == tid)
        .expect("task exists");
    m.rates.get(&t.key()).expect("rates")
}

#[test]
fn cpu_percent_comes_from_schedstat_over_the_interval() {
    // worker-0 ran 0.5 s more over 1 s, worker-1 0.25 s more.
    let m = model(machine(10, 2 * SEC), machine(11, 2 * SEC + SEC / 2));
    let w0 = rate(&m, 201).cpu_percent.expect("has history");
    let w1 = rate(&m, 202).cpu_percent.expect("has history");
    assert!((w0 - 50.0).abs() < 1e-9, "{w0}");
    assert!((w1 - 25.0).abs() < 1e-9, "{w1}");
    assert_eq!(rate(&m, 203).cpu_percent, Some(0.0));
    // The process row sums its threads.
    let rows = m.rows(&ViewOptions::default());
    let pool = rows
        .iter()
        .find(|r| r.kind == RowKind::Process && r.tgid == 200)
        .expect("pool row");
    assert!((pool.cpu_percent.expect("sum") - 75.0).abs() < 1e-9);
}

#[test]
fn switches_per_second_from_status_else_from_schedstat_timeslices() {
    let mut cur = machine(12, 0);
    // worker-0 switched 300 more times over 2 s (status read in both scans); worker-1 has
    // no status this time but was given a CPU 40 more times (schedstat, read every tick).
    for t in cur.processes.iter_mut().flat_map(|p| p.tasks.iter_mut()) {
        if t.tid == 201
            && let Some(Ok(d)) = t.detail_mut()
        {
            d.voluntary_switches += 200;
            d.involuntary_switches += 100;
        }
        if t.tid == 202 {
            t.set_detail(None);
            if let Ok(s) = &mut t.schedstat {
                s.timeslices += 40;
            }
        }
        if t.tid == 203 {
            t.set_detail(None);
            t.schedstat = Err(threadtop::collect::Unreadable::Absent);
        }
    }
    let m = model(machine(10, 0), cur);
    assert_eq!(rate(&m, 201).switches_per_sec, Some(150.0));
    assert_eq!(rate(&m, 202).switches_per_sec, Some(20.0));
    assert_eq!(
        rate(&m, 1).switches_per_sec,
        Some(0.0),
        "no status read for init: its unchanged timeslices say it did not switch"
    );
    assert_eq!(
        rate(&m, 203).switches_per_sec,
        None,
        "neither status nor schedstat: unknown, not zero"
    );
}

#[test]
fn a_reused_tid_never_inherits_history_or_spikes() {
    // TID 201 was a busy worker with 50 s of CPU; it exited and the kernel gave 201 to a new,
    // nearly idle task that started 0.5 s before the second scan.
    let prev = snap(
        100,
        vec![p(
            200,
            1,
            b"pool",
            vec![
                t(200, b"pool", b'S', 0),
                t(201, b"old", b'R', 50 * SEC).start(10),
            ],
        )],
    );
    let cur = snap(
        101,
        vec![p(
            200,
            1,
            b"pool",
            vec![
                t(200, b"pool", b'S', 0),
                t(201, b"new", b'S', SEC / 100).start(100 * CLK_TCK + CLK_TCK / 2),
            ],
        )],
    );
    let m = model(prev, cur);
    let r = rate(&m, 201);
    // 10 ms over its 0.5 s of life: 2 %. Never 100 %, never a wrapped huge number.
    let cpu = r.cpu_percent.expect("born during the interval has a rate");
    assert!((cpu - 2.0).abs() < 1e-9, "{cpu}");
    assert!(!m.rates.contains_key(&TaskKey {
        tid: 201,
        start_ticks: 10
    }));
}

#[test]
fn a_task_that_existed_unseen_gets_no_invented_rate() {
    let prev = snap(
        100,
        vec![p(200, 1, b"pool", vec![t(200, b"pool", b'S', 0)])],
    );
    let cur = snap(
        101,
        vec![p(
            200,
            1,
            b"pool",
            vec![
                t(200, b"pool", b'S', 0),
                t(201, b"w", b'R', 90 * SEC).start(5),
            ],
        )],
    );
    let m = model(prev, cur);
    assert_eq!(rate(&m, 201).cpu_percent, None);
}

#[test]
fn counters_going_backwards_saturate_and_rates_are_capped() {
    let prev = snap(
        10,
        vec![p(
            5,
            1,
            b"x",
            vec![t(5, b"x", b'R', 10 * SEC), t(6, b"y", b'R', 0)],
        )],
    );
    let cur = snap(
        11,
        vec![p(
            5,
            1,
            b"x",
            vec![t(5, b"x", b'R', 9 * SEC), t(6, b"y", b'R', 3 * SEC)],
        )],
    );
    let m = model(prev, cur);
    assert_eq!(rate(&m, 5).cpu_percent, Some(0.0));
    assert_eq!(rate(&m, 6).cpu_percent, Some(100.0));
}

#[test]
fn vanished_tasks_and_processes_just_disappear() {
    let mut cur = machine(11, 0);
    cur.processes.retain(|p| p.tgid != 100); // the shell exited
    cur.processes
        .iter_mut()
        .for_each(|p| p.tasks.retain(|t| t.tid != 202)); // a worker exited
    let m = model(machine(10, 0), cur);
    let rows = m.rows(&ViewOptions::default());
    assert!(rows.iter().all(|r| r.tid != 100 && r.tid != 202));
    // The pool's parent is gone: it becomes a root rather than vanishing with it.
    assert!(rows.iter().any(|r| r.tid == 200 && r.depth == 0));
    assert_eq!(m.summary.tasks, 7);
}

#[test]
fn unreadable_tasks_stay_as_marked_rows() {
    let mut cur = machine(11, 0);
    let pool = cur
        .processes
        .iter_mut()
        .find(|p| p.tgid == 200)
        .expect("pool");
    pool.tasks[3] = TaskInfo::unreadable(203, 200, Unreadable::Denied);
    let m = model(machine(10, 0), cur);
    let rows = m.rows(&ViewOptions::default());
    let r = rows.iter().find(|r| r.tid == 203).expect("row kept");
    assert!(r.unreadable);
    assert_eq!(r.state, b'?');
    assert_eq!(m.summary.unreadable, 1);
}

#[test]
fn tree_nests_processes_and_puts_threads_under_their_process() {
    let m = model(machine(10, 0), machine(11, SEC));
    let opts = ViewOptions {
        sort: SortKey::Tid,
        ..ViewOptions::default()
    };
    assert_eq!(
        names(&m.rows(&opts)),
        vec![
            "init",
            "└─bash",
            "  └─pool",
            "    ├─pool",
            "    ├─worker-0",
            "    ├─worker-1",
            "    └─io-1",
            "kthreadd",
            "├─kworker/0:1",
            "└─ksoftirqd/0",
        ]
    );
    let rows = m.rows(&opts);
    assert!(rows[7].kernel && rows[8].kernel, "kernel threads flagged");
    assert_eq!(rows[2].kind, RowKind::Process);
    assert_eq!(rows[3].kind, RowKind::Thread);
    assert_eq!((rows[3].tid, rows[3].depth), (200, 3));
    assert_eq!(rows[2].command, "./pool --workers 3");
    assert_eq!(rows[8].command, "[kworker/0:1]");
}

#[test]
fn sort_by_cpu_puts_busy_threads_first_and_reverse_flips_it() {
    let m = model(machine(10, 0), machine(11, SEC / 2));
    let rows = m.rows(&ViewOptions {
        tree: false,
        ..ViewOptions::default()
    });
    let pool_threads: Vec<u32> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Thread && r.tgid == 200)
        .map(|r| r.tid)
        .collect();
    assert_eq!(pool_threads, vec![201, 202, 200, 203]);
    // In the flat list the busiest process comes first.
    assert_eq!(rows[0].tgid, 200);
    let rev = m.rows(&ViewOptions {
        tree: false,
        reverse: true,
        ..ViewOptions::default()
    });
    let rev_threads: Vec<u32> = rev
        .iter()
        .filter(|r| r.kind == RowKind::Thread)
        .map(|r| r.tid)
        .collect();
    // Ties keep the leader first whatever the direction.
    assert_eq!(rev_threads, vec![200, 203, 202, 201]);
}

#[test]
fn every_sort_key_orders_as_named() {
    let m = model(machine(10, 0), machine(11, SEC / 2));
    let order = |key| -> Vec<u32> {
        m.rows(&ViewOptions {
            tree: false,
            sort: key,
            ..ViewOptions::default()
        })
        .iter()
        .filter(|r| r.kind == RowKind::Thread)
        .map(|r| r.tid)
        .collect()
    };
    assert_eq!(order(SortKey::Tid), vec![200, 201, 202, 203]);
    assert_eq!(order(SortKey::Name), vec![203, 200, 201, 202]);
    assert_eq!(order(SortKey::State), vec![201, 202, 203, 200]);
    assert_eq!(order(SortKey::LastCpu), vec![200, 201, 203, 202]);
    // No switches history in this fixture: unknown values sort last, ties by TID.
    assert_eq!(order(SortKey::Switches), vec![200, 201, 202, 203]);
}

#[test]
fn filter_by_tgid_shows_the_process_and_all_its_threads() {
    let m = model(machine(10, 0), machine(11, 0));
    let rows = m.rows(&ViewOptions {
        filter: Filter::parse("200"),
        sort: SortKey::Tid,
        tree: false,
        ..ViewOptions::default()
    });
    let tids: Vec<u32> = rows.iter().map(|r| r.tid).collect();
    assert_eq!(tids, vec![200, 200, 201, 202, 203]);
    assert!(rows.iter().all(|r| r.tgid == 200));
}

#[test]
fn filter_matching_a_thread_shows_its_process_with_that_thread() {
    let m = model(machine(10, 0), machine(11, 0));
    for f in ["worker-1", "202", "WORKER", "w*r-1"] {
        let rows = m.rows(&ViewOptions {
            filter: Filter::parse(f),
            tree: false,
            ..ViewOptions::default()
        });
        let got: Vec<(RowKind, u32)> = rows.iter().map(|r| (r.kind, r.tid)).collect();
        if f == "WORKER" {
            // Smart case: a capital makes it case-sensitive, and nothing is upper case.
            assert!(got.is_empty(), "{f}: {got:?}");
        } else {
            assert_eq!(
                got,
                vec![(RowKind::Process, 200), (RowKind::Thread, 202)],
                "{f}"
            );
        }
    }
}

#[test]
fn filter_matches_command_lines_and_process_names() {
    let m = model(machine(10, 0), machine(11, 0));
    let tgids = |f: &str| -> Vec<u32> {
        let mut v: Vec<u32> = m
            .rows(&ViewOptions {
                filter: Filter::parse(f),
                tree: false,
                ..ViewOptions::default()
            })
            .iter()
            .filter(|r| r.kind == RowKind::Process)
            .map(|r| r.tgid)
            .collect();
        v.sort();
        v
    };
    assert_eq!(tgids("--workers"), vec![200]);
    assert_eq!(tgids("splash"), vec![1]);
    assert_eq!(tgids("kworker"), vec![3]);
    assert_eq!(tgids("nothing-matches-this"), Vec::<u32>::new());
}

#[test]
fn a_filtered_tree_stays_a_tree_with_the_matches_ancestors() {
    let m = model(machine(10, 0), machine(11, 0));
    let opts = |f: &str| ViewOptions {
        filter: Filter::parse(f),
        sort: SortKey::Tid,
        ..ViewOptions::default()
    };
    // Threads of pool (200, under bash under init) match: under its ancestors, which show
    // no threads of theirs; kworker/0:1 under kthreadd.
    assert_eq!(
        names(&m.rows(&opts("worker-"))),
        vec![
            "init",
            "└─bash",
            "  └─pool",
            "    ├─worker-0",
            "    └─worker-1"
        ]
    );
    // Only the threads matched: init, bash and pool's own row are there for the tree.
    let context: Vec<bool> = m.rows(&opts("worker-")).iter().map(|r| r.context).collect();
    assert_eq!(context, vec![true, true, true, false, false]);
    assert_eq!(
        names(&m.rows(&opts("kworker"))),
        vec!["kthreadd", "└─kworker/0:1"]
    );
    let context: Vec<bool> = m.rows(&opts("kworker")).iter().map(|r| r.context).collect();
    assert_eq!(context, vec![true, false]);
    // A process that matched keeps all its threads; `t` still gives the flat list.
    let flat = m.rows(&ViewOptions {
        tree: false,
        ..opts("--workers")
    });
    assert_eq!(flat[0].name, "pool");
    assert_eq!(flat.len(), 5, "{:?}", names(&flat));
    assert!(flat.iter().all(|r| !r.context), "a whole process matched");
}

#[test]
fn a_user_filter_shows_that_users_processes_in_their_tree() {
    let mut cur = machine(11, 0);
    for p in cur.processes.iter_mut().filter(|p| p.tgid == 200) {
        p.user = Some("alice".into());
    }
    let m = model(machine(10, 0), cur);
    let rows = m.rows(&ViewOptions {
        user: Some("alice".into()),
        sort: SortKey::Tid,
        ..ViewOptions::default()
    });
    // alice's process with its threads, under root's bash and init (context).
    assert_eq!(
        names(&rows),
        vec![
            "init",
            "└─bash",
            "  └─pool",
            "    ├─pool",
            "    ├─worker-0",
            "    ├─worker-1",
            "    └─io-1",
        ]
    );
    let flat = m.rows(&ViewOptions {
        user: Some("alice".into()),
        tree: false,
        ..ViewOptions::default()
    });
    assert!(flat.iter().all(|r| r.tgid == 200 && r.user == "alice"));
    let nobody = m.rows(&ViewOptions {
        user: Some("nobody".into()),
        ..ViewOptions::default()
    });
    assert!(nobody.is_empty(), "{:?}", names(&nobody));
}

#[test]
fn hide_kernel_processes_only_fold_and_pids() {
    let m = model(machine(10, 0), machine(11, 0));
    let base = ViewOptions {
        sort: SortKey::Tid,
        ..ViewOptions::default()
    };
    let rows = m.rows(&ViewOptions {
        hide_kernel: true,
        ..base.clone()
    });
    assert!(rows.iter().all(|r| !r.kernel));
    assert_eq!(rows.len(), 7);

    let rows = m.rows(&ViewOptions {
        processes_only: true,
        ..base.clone()
    });
    assert!(rows.iter().all(|r| r.kind == RowKind::Process));
    assert_eq!(rows.len(), 6);

    let pool_key = m
        .current
        .processes
        .iter()
        .find(|p| p.tgid == 200)
        .expect("pool")
        .key();
    let mut folded = base.clone();
    folded.folded.insert(pool_key);
    let rows = m.rows(&folded);
    let pool = rows.iter().find(|r| r.tid == 200).expect("pool row");
    assert!(pool.folded && pool.foldable);
    assert!(
        rows.iter()
            .all(|r| r.kind == RowKind::Process || r.tgid != 200)
    );

    // Folding the shell hides its child process too.
    let bash_key = m
        .current
        .processes
        .iter()
        .find(|p| p.tgid == 100)
        .expect("bash")
        .key();
    let mut folded = base.clone();
    folded.folded.insert(bash_key);
    assert!(m.rows(&folded).iter().all(|r| r.tgid != 200));

    let rows = m.rows(&ViewOptions {
        pids: vec![100, 3],
        ..base
    });
    assert_eq!(rows.iter().map(|r| r.tid).collect::<Vec<_>>(), vec![3, 100]);
}

#[test]
fn summary_counts_states_and_kinds() {
    let m = model(machine(10, 0), machine(11, 0));
    let s = &m.summary;
    assert_eq!((s.processes, s.tasks), (6, 9));
    assert_eq!((s.kernel_threads, s.user_threads), (3, 6));
    assert_eq!((s.runnable, s.sleeping, s.disk_sleep, s.idle), (2, 5, 1, 1));
    // CPU 0 was 50 % busy, CPU 1 10 %.
    assert_eq!(m.cpus, vec![(0, Some(50.0)), (1, Some(10.0))]);
}

#[test]
fn first_snapshot_has_no_rates_yet() {
    let m = Model::new(None, Arc::new(machine(10, SEC)));
    // No entry at all: each task's rates read as unknown, in the model and in its row.
    assert!(m.rates.is_empty());
    assert!(m.cpus.iter().all(|(_, u)| u.is_none()));
    let rows = m.rows(&ViewOptions::default());
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r.cpu_percent.is_none()), "{rows:?}");
}

#[test]
fn hostile_names_are_escaped_in_rows() {
    let cur = snap(
        11,
        vec![p(
            9,
            1,
            b"evil\0\x1b]0;pwned\x07",
            vec![
                t(9, b"a) R 1 (\x1b[31m", b'S', 0),
                t(10, b"\xff\n", b'S', 0),
            ],
        )],
    );
    let m = model(snap(10, vec![]), cur);
    let rows = m.rows(&ViewOptions::default());
    assert_eq!(rows[0].name, "a) R 1 (\\e[31m");
    assert_eq!(rows[0].command, "evil \\e]0;pwned\\x07");
    assert!(rows.iter().any(|r| r.name == "\\xff\\n"));
    for r in &rows {
        assert!(!r.name.chars().any(char::is_control) && !r.command.chars().any(char::is_control));
    }
}

#[test]
fn a_process_never_exceeds_100_percent_per_cpu() {
    // Three threads each at the per-task cap on a 2-CPU machine: the sum is capped at 200.
    let prev = snap(
        10,
        vec![p(
            5,
            1,
            b"x",
            vec![
                t(5, b"a", b'R', 0),
                t(6, b"b", b'R', 0),
                t(7, b"c", b'R', 0),
            ],
        )],
    );
    let cur = snap(
        11,
        vec![p(
            5,
            1,
            b"x",
            vec![
                t(5, b"a", b'R', SEC),
                t(6, b"b", b'R', SEC),
                t(7, b"c", b'R', SEC),
            ],
        )],
    );
    let m = model(prev, cur);
    let rows = m.rows(&ViewOptions::default());
    assert_eq!(rows[0].cpu_percent, Some(200.0));
    assert!(rows[1..].iter().all(|r| r.cpu_percent == Some(100.0)));
}

/// Against the quick first pass (no schedstat), nothing is a rate yet: not the tasks'
/// CPU %, nor the CPUs' busy % (the full scan follows it within milliseconds). Unknown,
/// never 0; the next interval between full scans gives real figures.
#[test]
fn nothing_is_a_rate_against_the_quick_first_pass() {
    let mut quick = machine(10, 2 * SEC);
    quick.schedstat_read = false;
    for p in &mut quick.processes {
        for t in &mut p.tasks {
            t.schedstat = Err(Unreadable::Absent);
        }
    }
    let m = model(quick, machine(11, 2 * SEC + SEC / 2));
    // Unknown: no entry (which every reader takes as all-unknown).
    for t in m.current.tasks() {
        assert_eq!(m.rates.get(&t.key()), None, "tid {}", t.tid);
    }
    assert!(m.rates.is_empty());
    assert!(!m.cpus.is_empty());
    assert!(m.cpus.iter().all(|(_, u)| u.is_none()), "{:?}", m.cpus);
    let rows = m.rows(&ViewOptions::default());
    assert!(rows.iter().all(|r| r.cpu_percent.is_none()));
    let m = m.advance(Arc::new(machine(12, 3 * SEC)));
    assert_eq!(rate(&m, 201).cpu_percent, Some(50.0));
    assert!(m.cpus.iter().all(|(_, u)| u.is_some()), "{:?}", m.cpus);
}

#[test]
fn rates_into_a_reused_map_equal_fresh_ones() {
    let (a, b, c) = (machine(10, 0), machine(11, SEC / 2), machine(12, SEC));
    let mut reused = task_rates(Some(&a), &b);
    // A task only in the old map must not survive into the new one.
    let stale = TaskKey {
        tid: 999,
        start_ticks: 1,
    };
    let busy = TaskRate {
        cpu_percent: Some(12.0),
        ..TaskRate::default()
    };
    reused.extend([(stale, busy)]);
    assert!(reused.contains_key(&stale));
    task_rates_into(Some(&b), &c, &mut reused);
    assert_eq!(reused, task_rates(Some(&b), &c));
    // Folding snapshots in one after another gives what a model built at once gives.
    let stepped = Model::new(None, Arc::new(a)).advance(Arc::new(b.clone()));
    let stepped = stepped.advance(Arc::new(c.clone()));
    assert_eq!(
        stepped.rates,
        Model::new(Some(Arc::new(b)), Arc::new(c)).rates
    );
}

/// A task's previous self is found whatever order the snapshots list processes and tasks
/// in (scans list them by TGID and TID; the rates do not rely on it), and a TID reused by a
/// new task (another start time) never inherits the old one's counters.
#[test]
fn rates_do_not_depend_on_the_order_tasks_are_listed_in() {
    let (a, b) = (machine(10, 0), machine(11, SEC / 2));
    let sorted = task_rates(Some(&a), &b);
    assert!(
        sorted
            .values()
            .any(|r| r.cpu_percent.is_some_and(|c| c > 0.0))
    );
    let mut shuffled = a.clone();
    shuffled.processes.reverse();
    for p in &mut shuffled.processes {
        p.tasks.reverse();
    }
    assert_eq!(task_rates(Some(&shuffled), &b), sorted);
    let mut b2 = b.clone();
    b2.processes.reverse();
    assert_eq!(task_rates(Some(&a), &b2), sorted);
    // A TID reused by a task started later: its rate is the one it gets with no previous
    // self at all, whatever the old task with that TID did.
    let mut reborn = b.clone();
    let t = &mut reborn.processes[0].tasks[0];
    t.start_ticks += 50;
    let key = t.key();
    let mut without = a.clone();
    without.processes[0].tasks.retain(|t| t.tid != key.tid);
    assert_eq!(
        task_rates(Some(&a), &reborn).get(&key),
        task_rates(Some(&without), &reborn).get(&key)
    );
}

/// Start-up is over (threadtop then gives back its start-up code's pages) only once there
/// are rates and the scheduling events are no longer loading.
#[test]
fn start_up_is_over_with_rates_and_the_events_settled() {
    use threadtop::collect::events::{Events, source::LOADING};
    let procs = || vec![p(10, 1, b"a", vec![t(10, b"a", b'S', 0)])];
    let first = Model::new(None, Arc::new(snap(1, procs())));
    assert!(!first.start_up_over(), "no rates yet");
    let mut loading = snap(2, procs());
    loading.events = Events::Unavailable(LOADING.into());
    assert!(
        !model(snap(1, procs()), loading.clone()).start_up_over(),
        "events loading"
    );
    let mut off = loading;
    off.events = Events::Unavailable("off (--events off)".into());
    assert!(model(snap(1, procs()), off).start_up_over());
    assert!(model(snap(1, procs()), snap(2, procs())).start_up_over());
}
