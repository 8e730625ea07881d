//! CPU placement and scheduling in the model: history strips, migrations seen, run-queue
//! wait, voluntary vs involuntary switches, the new sort keys. From fixtures, no /proc.

mod fixture;

use std::sync::Arc;

use fixture::*;
use threadtop::collect::{SchedStat, Snapshot, TaskKey};
use threadtop::model::placement::HISTORY_TICKS;
use threadtop::model::*;

fn pool(at: u64, cpus: [u16; 2], waits: [u64; 2]) -> Snapshot {
    let mut s = snap(
        at,
        vec![p(
            50,
            1,
            b"pool",
            vec![
                t(50, b"pool", b'S', 0).cpu(cpus[0]),
                t(51, b"w", b'R', at * SEC / 2).cpu(cpus[1]).switches(at),
            ],
        )],
    );
    for (t, w) in s.processes[0].tasks.iter_mut().zip(waits) {
        if let Ok(st) = &mut t.schedstat {
            st.wait_ns = w;
        }
    }
    s
}

fn key(tid: u32) -> TaskKey {
    TaskKey {
        tid,
        start_ticks: u64::from(tid),
    }
}

#[test]
fn history_records_one_cpu_per_tick_and_counts_moves() {
    let mut m = Model::new(None, Arc::new(pool(1, [0, 0], [0, 0])));
    for (i, cpu) in [1, 1, 0, 1].into_iter().enumerate() {
        m = m.advance(Arc::new(pool(2 + i as u64, [0, cpu], [0, 0])));
    }
    let w = m.placement.track(&key(51)).expect("tracked");
    assert_eq!(
        w.cpus.iter().copied().collect::<Vec<_>>(),
        vec![Some(0), Some(1), Some(1), Some(0), Some(1)]
    );
    assert_eq!(w.migrations_seen, 3);
    assert_eq!(
        m.placement.track(&key(50)).expect("leader").migrations_seen,
        0
    );
}

/// Histories take as few bits a tick as the CPU ids seen need (2 up to CPU 2, then 4, 8,
/// 16): each wider id widens every ring, and what was recorded before reads the same.
#[test]
fn a_higher_cpu_id_widens_the_history_without_losing_it() {
    let mut m = Model::new(None, Arc::new(pool(1, [2, 0], [0, 0])));
    for (i, cpu) in [1, 2, 7, 254, 253].into_iter().enumerate() {
        m = m.advance(Arc::new(pool(2 + i as u64, [2, cpu], [0, 0])));
    }
    for (i, cpu) in [255, 4000, 1].into_iter().enumerate() {
        m = m.advance(Arc::new(pool(7 + i as u64, [2, cpu], [0, 0])));
    }
    let w = m.placement.track(&key(51)).expect("tracked");
    assert_eq!(
        w.cpus.iter().copied().collect::<Vec<_>>(),
        [0, 1, 2, 7, 254, 253, 255, 4000, 1].map(Some).to_vec()
    );
    assert_eq!(w.migrations_seen, 8);
    let leader = m.placement.track(&key(50)).expect("leader");
    assert_eq!(
        leader.cpus.iter().copied().collect::<Vec<_>>(),
        vec![Some(2); 9]
    );
    // A full ring wraps the same way once wide.
    for i in 0..(HISTORY_TICKS as u64 + 5) {
        m = m.advance(Arc::new(pool(10 + i, [3, 300 + (i % 2) as u16], [0, 0])));
    }
    let w = m.placement.track(&key(51)).expect("tracked");
    assert_eq!(w.cpus.len(), HISTORY_TICKS);
    assert_eq!(
        w.cpus.iter().last().copied().flatten(),
        Some(300 + ((HISTORY_TICKS as u32 + 4) % 2))
    );
}

#[test]
fn history_is_bounded_and_forgets_dead_tasks() {
    let mut m = Model::new(None, Arc::new(pool(1, [0, 0], [0, 0])));
    for i in 0..(HISTORY_TICKS as u64 + 30) {
        m = m.advance(Arc::new(pool(2 + i, [0, (i % 2) as u16], [0, 0])));
    }
    assert_eq!(
        m.placement.track(&key(51)).expect("tracked").cpus.len(),
        HISTORY_TICKS
    );
    let mut gone = pool(500, [0, 0], [0, 0]);
    gone.processes[0].tasks.truncate(1);
    m = m.advance(Arc::new(gone));
    assert!(m.placement.track(&key(51)).is_none());
    assert_eq!(m.placement.len(), 1);
}

#[test]
fn wait_percent_is_the_schedstat_wait_over_the_interval() {
    // Over 1 s, the worker waited 0.6 s for a CPU.
    let m = Model::new(
        Some(Arc::new(pool(10, [0, 0], [0, SEC]))),
        Arc::new(pool(11, [0, 0], [0, SEC + SEC * 6 / 10])),
    );
    let r = m.rates.get(&key(51)).expect("rates");
    assert!((r.wait_percent.expect("known") - 60.0).abs() < 1e-9);
    // The leader's schedstat counted nothing at all: no claim either way.
    let mut a = pool(10, [0, 0], [0, 0]);
    let mut b = pool(11, [0, 0], [0, 0]);
    for s in [&mut a, &mut b] {
        s.processes[0].tasks[0].schedstat = Ok(SchedStat::default());
    }
    let m = Model::new(Some(Arc::new(a)), Arc::new(b));
    assert_eq!(m.rates.get(&key(50)).expect("rates").wait_percent, None);
}

#[test]
fn voluntary_and_involuntary_switch_rates_are_separate() {
    let a = pool(10, [0, 0], [0, 0]);
    let mut b = pool(12, [0, 0], [0, 0]);
    if let Some(Ok(d)) = b.processes[0].tasks[1].detail_mut() {
        d.voluntary_switches = 10 + 40;
        d.involuntary_switches = 6;
    }
    let m = Model::new(Some(Arc::new(a)), Arc::new(b));
    let r = m.rates.get(&key(51)).expect("rates");
    assert_eq!(r.voluntary_per_sec, Some(20.0));
    assert_eq!(r.involuntary_per_sec, Some(3.0));
    assert_eq!(r.switches_per_sec, Some(23.0));
}

#[test]
fn scheduling_sort_keys_order_rows() {
    let mut cur = machine(11, SEC / 2);
    let tasks = &mut cur
        .processes
        .iter_mut()
        .find(|p| p.tgid == 200)
        .expect("pool")
        .tasks;
    tasks[1].policy = 1; // FIFO
    tasks[1].rt_priority = 50;
    tasks[2].nice = -5;
    tasks[3].nice = 10;
    let m = Model::new(Some(Arc::new(machine(10, 0))), Arc::new(cur));
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
    assert_eq!(order(SortKey::RtPrio)[0], 201);
    assert_eq!(order(SortKey::Policy).last(), Some(&201));
    assert_eq!(order(SortKey::Nice), vec![202, 200, 201, 203]);
    for k in SortKey::SORTABLE {
        assert_eq!(SortKey::parse(k.name()), Some(k));
    }
    assert_eq!(policy_name(0), "OTHER");
    assert_eq!(policy_name(6), "DEADLINE");
    assert!(SortKey::Voluntary.needs_detail() && !SortKey::Wait.needs_detail());
}

#[test]
fn runnable_tasks_are_grouped_by_their_last_cpu() {
    let s = machine(11, 0);
    let by = runnable_by_cpu(&s);
    assert_eq!(
        by.get(&0)
            .map(|v| v.iter().map(|k| k.tid).collect::<Vec<_>>()),
        Some(vec![201])
    );
    assert_eq!(
        by.get(&1)
            .map(|v| v.iter().map(|k| k.tid).collect::<Vec<_>>()),
        Some(vec![202])
    );
}

#[test]
fn the_now_strip_splits_the_time_run_by_cpu_however_little_it_ran() {
    use threadtop::collect::events::TaskEvents;
    use threadtop::model::{dominant_cpu, share_strip};
    let ran = |cpu_ns: Vec<(u32, u64)>| TaskEvents {
        cpu_ns: Some(cpu_ns.into()),
        ..TaskEvents::default()
    };
    let mark = |cells: Option<Vec<Option<u32>>>| -> String {
        cells
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.map_or('.', |c| char::from_digit(c, 36).unwrap_or('+')))
            .collect()
    };
    // 2 ms of a second, half on each CPU: both shown, five cells each.
    let mover = ran(vec![(1, 1_000_000), (0, 1_000_000)]);
    assert_eq!(mark(share_strip(&mover, 10)), "0000011111");
    assert_eq!(dominant_cpu(&mover), Some(0), "a tie goes to the lowest id");
    // Thirds round by largest remainder to the full width.
    let thirds = ran(vec![(0, 1), (1, 1), (2, 1)]);
    assert_eq!(mark(share_strip(&thirds, 10)).len(), 10);
    // Did not run: no marks; unknown: no strip.
    assert_eq!(mark(share_strip(&ran(vec![]), 10)), "..........");
    assert_eq!(dominant_cpu(&ran(vec![])), None);
    assert_eq!(share_strip(&TaskEvents::default(), 10), None);
}
