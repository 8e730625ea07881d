//! The "why" model on hand-built snapshots: breakdowns from exact schedstat deltas and
//! sampled reasons, lock groups, pools, and verdicts.

mod fixture;

use std::collections::HashMap;
use std::sync::Arc;

use fixture::*;
use threadtop::collect::waits::{FdWhat, Reason, Target, TaskSamples, WaitSamples};
use threadtop::collect::{SchedStat, Snapshot, TaskKey};
use threadtop::model::Model;
use threadtop::model::why::{self, Throttle};

const FUTEX: u64 = 0x7f2a_5c00_0b28;

/// A process `lock-0..5` + `pipe-0`; over one second each lock thread ran `run_ms` and
/// waited `wait_ms` for a CPU.
fn pair(run_ms: [u64; 6], wait_ms: [u64; 6]) -> (Snapshot, Snapshot) {
    let names: [&'static [u8]; 7] = [
        b"lock-0", b"lock-1", b"lock-2", b"lock-3", b"lock-4", b"lock-5", b"pipe-0",
    ];
    let mk = |at: u64, scale: u64| {
        let tasks = (0..7)
            .map(|i| t(101 + i as u32, names[i], b'S', 0))
            .collect::<Vec<_>>();
        let mut s = snap(at, vec![p(100, 1, b"app\0", tasks)]);
        for (i, task) in s.processes[0].tasks.iter_mut().enumerate() {
            let (r, w) = if i < 6 {
                (run_ms[i], wait_ms[i])
            } else {
                (0, 0)
            };
            task.schedstat = Ok(SchedStat {
                run_ns: r * 1_000_000 * scale,
                wait_ns: w * 1_000_000 * scale,
                timeslices: scale,
            });
            task.utime_ticks = r * scale / 10;
        }
        // The pipe reader ran once, long ago (0 0 would read as a kernel without schedstat).
        s.processes[0].tasks[6].schedstat = Ok(SchedStat {
            run_ns: 1_000_000,
            wait_ns: 0,
            timeslices: 1,
        });
        s
    };
    (mk(10, 0), mk(11, 1))
}

fn key(tid: u32) -> TaskKey {
    TaskKey {
        tid,
        start_ticks: u64::from(tid),
    }
}

fn samples(off: &[(Reason, u32)], runnable: u32, target: Option<Target>) -> TaskSamples {
    let mut s = TaskSamples {
        tgid: 100,
        runnable,
        ..TaskSamples::default()
    };
    for &(r, n) in off {
        s.off[r as usize] += n;
    }
    s.samples = runnable + s.off_total();
    if let Some(t) = target {
        for _ in 0..s.off_total() {
            s.add_target(t.clone());
        }
    }
    s
}

fn model(mut a: Snapshot, mut b: Snapshot, tasks: HashMap<TaskKey, TaskSamples>) -> Model {
    a.waits = None;
    b.waits = Some(Arc::new(WaitSamples {
        tasks,
        rounds: 20,
        period_ns: 50_000_000,
    }));
    Model::new(Some(Arc::new(a)), Arc::new(b))
}

/// A lock convoy's samples: task 101 holds the futex and runs 14 of 20 rounds; 102-106
/// spend `waiting` off the CPU (on the same futex) and 2 rounds runnable.
fn convoy(waiting: &[(Reason, u32)]) -> HashMap<TaskKey, TaskSamples> {
    let mut tasks = HashMap::new();
    tasks.insert(
        key(101),
        samples(&[(Reason::Lock, 6)], 14, Some(Target::Futex(FUTEX))),
    );
    for tid in 102..=106 {
        tasks.insert(key(tid), samples(waiting, 2, Some(Target::Futex(FUTEX))));
    }
    tasks
}

#[test]
fn a_convoy_is_one_group_and_the_shares_sum_to_100() {
    let (a, b) = pair([300, 20, 20, 20, 20, 20], [50, 100, 100, 100, 100, 100]);
    // lock-0 holds the lock and runs; the others wait on it 16 of 20 rounds.
    let mut tasks = convoy(&[(Reason::Lock, 16), (Reason::Other, 2)]);
    tasks.insert(
        key(107),
        samples(
            &[(Reason::FdWait, 20)],
            0,
            Some(Target::Fd {
                syscall: "read".into(),
                fd: 3,
                what: FdWhat::Link {
                    link: b"pipe:[123]".to_vec(),
                    tcp: None,
                },
            }),
        ),
    );
    let m = model(a, b, tasks);
    let w = why::of_model(&m);
    let t1 = &w.tasks[&key(102)];
    let b1 = t1.breakdown.expect("breakdown");
    assert!(
        (b1.running - 2.0).abs() < 0.01 && (b1.runnable - 10.0).abs() < 0.01,
        "{b1:?}"
    );
    // 88 % off CPU: 16 of 18 off-CPU samples in lock.
    assert!((b1.lock - 88.0 * 16.0 / 18.0).abs() < 0.01, "{b1:?}");
    assert!((b1.total() - 100.0).abs() < 1e-6);
    assert_eq!(t1.waiting_on.as_ref().map(|x| x.kind), Some("futex"));
    let p = &w.processes[&100];
    assert_eq!(p.locks.len(), 1, "{:?}", p.locks);
    assert_eq!(p.locks[0].futex, "0x7f2a5c000b28");
    assert_eq!(p.locks[0].waiters, vec![101, 102, 103, 104, 105, 106]);
    let pool = p.pools.iter().find(|x| x.label == "lock-#").expect("pool");
    assert_eq!(pool.tids.len(), 6);
    assert!((pool.breakdown.expect("b").total() - 100.0).abs() < 1e-6);
    assert_eq!(
        pool.verdict,
        "lock convoy: 6 of 6 wait on one futex (0x7f2a5c000b28); lock-0 holds the CPU most"
    );
    // A single-member pattern is no pool.
    assert!(p.pools.iter().all(|x| x.label != "pipe-#"));
    assert_eq!(w.tasks[&key(107)].verdict, "idle: blocked reading a pipe");
}

#[test]
fn unsampled_tasks_and_the_first_tick_have_no_breakdown() {
    let (a, b) = pair([100; 6], [0; 6]);
    let mut tasks = HashMap::new();
    tasks.insert(key(101), samples(&[(Reason::Sleep, 10)], 0, None));
    let m = model(a.clone(), b, tasks.clone());
    let w = why::of_model(&m);
    assert!(w.tasks[&key(101)].breakdown.is_some());
    assert_eq!(w.tasks[&key(102)].breakdown, None);
    assert!(w.tasks[&key(102)].verdict.starts_with("unknown"));
    // No previous snapshot: no rates, so no breakdown (never a guess).
    let mut first = a;
    first.waits = Some(Arc::new(WaitSamples {
        tasks,
        rounds: 1,
        period_ns: 0,
    }));
    let w = why::of_model(&Model::new(None, Arc::new(first)));
    assert_eq!(w.tasks[&key(101)].breakdown, None);
}

#[test]
fn cgroup_facts_fill_the_throttled_hook() {
    let (a, b) = pair([200; 6], [600; 6]);
    let mut tasks = HashMap::new();
    tasks.insert(key(101), samples(&[], 10, None));
    let m = model(a, b, tasks);
    let mut throttle = HashMap::new();
    throttle.insert(
        key(101),
        Throttle {
            percent: 50.0,
            quota_cpus: Some(0.5),
        },
    );
    let w = why::analyze(&m.current, &m.rates, m.interval_secs(), &throttle);
    let t = &w.tasks[&key(101)];
    assert_eq!(t.breakdown.and_then(|b| b.throttled), Some(50.0));
    assert_eq!(t.verdict, "throttled by its cgroup (0.5 CPU)");
    let plain = why::of_model(&m);
    assert_eq!(
        plain.tasks[&key(101)].breakdown.and_then(|b| b.throttled),
        None
    );
    assert!(plain.tasks[&key(101)].verdict.starts_with("CPU-starved"));
}

#[test]
fn the_events_split_is_used_when_they_saw_the_task_off_a_cpu() {
    use threadtop::collect::events::{EventTick, Events, TaskEvents};
    use threadtop::collect::waits::Source;
    let (a, mut b) = pair([100; 6], [100; 6]);
    let mut ev = EventTick {
        interval_ns: Some(1_000_000_000),
        ..EventTick::default()
    };
    let mut off = [0u64; 6];
    off[Reason::Lock as usize] = 600_000_000;
    off[Reason::Sleep as usize] = 200_000_000;
    ev.tasks.insert(
        key(101),
        TaskEvents {
            off_ns: off,
            ..TaskEvents::default()
        },
    );
    let mut tasks = HashMap::new();
    // The samples say otherwise: the events win where they saw the task off a CPU.
    tasks.insert(key(101), samples(&[(Reason::FdWait, 10)], 0, None));
    tasks.insert(key(102), samples(&[(Reason::FdWait, 10)], 0, None));
    b.events = Events::Bpf(Arc::new(ev.clone()));
    let m = model(a.clone(), b.clone(), tasks.clone());
    let w = why::of_model(&m);
    let t = &w.tasks[&key(101)];
    assert_eq!(t.source, Some(Source::Events));
    let x = t.breakdown.expect("breakdown");
    // 80 % off a CPU: 3/4 lock, 1/4 sleep.
    assert!(
        (x.lock - 60.0).abs() < 0.01 && (x.sleep - 20.0).abs() < 0.01,
        "{x:?}"
    );
    assert_eq!(w.tasks[&key(102)].source, Some(Source::Sampled));
    // A tick in which the kernel map refused a task: no task's events are trusted.
    ev.refused_in_tick = 1;
    b.events = Events::Bpf(Arc::new(ev));
    let w = why::of_model(&model(a, b, tasks));
    assert_eq!(w.tasks[&key(101)].source, Some(Source::Sampled));
}

#[test]
fn the_explain_card_leads_with_the_verdict_of_the_task_pool_and_process() {
    use threadtop::model::derived::{Derived, lead_with_verdict};
    use threadtop::model::{RowKind, ViewOptions};
    let (a, b) = pair([300, 20, 20, 20, 20, 20], [50, 100, 100, 100, 100, 100]);
    let tasks = convoy(&[(Reason::Lock, 18)]);
    let m = model(a, b, tasks);
    let rows = m.rows(&ViewOptions::default());
    // The fixture's process has no leader task (tids 101..107): no card of its own for
    // the process row, so the verdict is put under a title line.
    let card = |row: &threadtop::model::Row| {
        let mut c = Derived::compute(&m.current, Some(row), true, false, 0)
            .explain
            .unwrap_or_else(|| vec!["title".into()]);
        lead_with_verdict(&mut c, &m, row);
        c
    };
    let thread = rows.iter().find(|r| r.tid == 102).expect("thread row");
    let c = card(thread);
    assert!(c[0].starts_with("lock-1: task 102"), "{c:?}");
    assert_eq!(
        c[1],
        format!("Why: {}.", m.why.tasks[&key(102)].verdict),
        "{c:?}"
    );
    let process = rows
        .iter()
        .find(|r| r.kind == RowKind::Process)
        .expect("process row");
    let c = card(process);
    assert_eq!(
        c[1],
        format!("Why: {}.", m.why.processes[&100].verdict),
        "{c:?}"
    );
    // A pool row (the tree folds pools only in bigger processes: made from a member's).
    let mut pool = thread.clone();
    pool.kind = RowKind::Pool;
    pool.name = "lock-#".into();
    let mut c = vec!["title".to_string()];
    lead_with_verdict(&mut c, &m, &pool);
    assert!(c[1].starts_with("Why: lock convoy: 6 of 6"), "{c:?}");
}

#[test]
fn a_task_the_events_saw_never_off_a_cpu_has_a_breakdown_without_samples() {
    use threadtop::collect::events::{EventTick, Events, TaskEvents};
    use threadtop::collect::waits::Source;
    // Busy, preempted only: the events saw it (its CPU time) but never off a CPU. Live, the
    // screen samples only some tasks; this one was not sampled and used to be unknown.
    let (a, mut b) = pair([300; 6], [650; 6]);
    let mut ev = EventTick {
        interval_ns: Some(1_000_000_000),
        ..EventTick::default()
    };
    ev.tasks.insert(
        key(101),
        TaskEvents {
            cpu_ns: Some(vec![(1, 300_000_000)].into()),
            ..TaskEvents::default()
        },
    );
    b.events = Events::Bpf(Arc::new(ev));
    let w = why::of_model(&model(a, b, HashMap::new()));
    let t = &w.tasks[&key(101)];
    assert_eq!(t.source, Some(Source::Events));
    let x = t.breakdown.expect("breakdown");
    assert!((x.running - 30.0).abs() < 0.01 && (x.runnable - 65.0).abs() < 0.01);
    assert!(t.verdict.starts_with("CPU-starved"), "{}", t.verdict);
    // Neither seen nor sampled: unknown, said so.
    assert_eq!(w.tasks[&key(102)].breakdown, None);
}

#[test]
fn a_throttled_cgroup_fills_the_throttled_part_from_the_cgroup_facts() {
    use threadtop::collect::SchedStat;
    // pool.service (0.5 CPU, on CPU 1) was throttled 40 periods of 20 ms in the second:
    // 800 ms, all of it worker-0's (its one busy task), which waited 850 ms for a CPU.
    let mut a = machine_in_cgroups(10, 0, 0);
    let mut b = machine_in_cgroups(11, SEC, 40);
    for (s, scale) in [(&mut a, 0u64), (&mut b, 1)] {
        for t in s.processes.iter_mut().flat_map(|p| p.tasks.iter_mut()) {
            let (run, wait) = match t.tid {
                201 => (100, 850),
                _ => (1, 0),
            };
            t.schedstat = Ok(SchedStat {
                run_ns: (run * scale + 1) * 1_000_000,
                wait_ns: wait * scale * 1_000_000,
                timeslices: scale + 1,
            });
        }
    }
    let mut tasks = HashMap::new();
    for tid in [200, 201, 202] {
        tasks.insert(
            TaskKey {
                tid,
                start_ticks: u64::from(tid),
            },
            TaskSamples {
                tgid: 200,
                runnable: 10,
                samples: 10,
                ..TaskSamples::default()
            },
        );
    }
    let m = model(a, b, tasks);
    let w = &m.why;
    let of = |tid: u32| {
        &w.tasks[&TaskKey {
            tid,
            start_ticks: u64::from(tid),
        }]
    };
    let worker = of(201);
    let b = worker.breakdown.expect("breakdown");
    let th = b.throttled.expect("throttled known");
    assert!((th - 80.0).abs() < 0.5, "{b:?}");
    assert!(th <= b.runnable, "throttled is part of runnable: {b:?}");
    assert_eq!(worker.verdict, "throttled by its cgroup (0.5 CPU)");
    // worker-1 is in the unthrottled child `web`: known, zero.
    assert_eq!(of(202).breakdown.and_then(|b| b.throttled), Some(0.0));
    // The pool of the two workers and the process are throttled only as far as all their
    // members are known; the JSON shows the same analysis the screen does.
    let json = threadtop::json::build(&m, &Default::default(), &Default::default());
    let v = serde_json::to_value(&json).expect("json");
    let t = v["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["tid"] == 201))
        .expect("task 201");
    assert_eq!(t["verdict"], "throttled by its cgroup (0.5 CPU)", "{t}");
    assert!(t["breakdown"]["throttled"].as_f64().is_some(), "{t}");
}
