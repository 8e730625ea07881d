//! The explain card, thread pools and the share view, from fixtures.

mod fixture;

use std::collections::HashMap;
use std::sync::Arc;

use fixture::*;
use threadtop::collect::{
    Group, Resource, ShareReport, Shares, Snapshot, SyscallState, TaskKey, TaskRef, WaitInfo,
};
use threadtop::model::explain::explain;
use threadtop::model::shares::{Mark, share_view};
use threadtop::model::view::POOL_MIN_THREADS;
use threadtop::model::*;

const FUTEX: u64 = if cfg!(target_arch = "aarch64") {
    98
} else {
    202
};

fn key_of(s: &Snapshot, tid: u32) -> TaskKey {
    s.tasks().find(|t| t.tid == tid).expect("task").key()
}

fn card(s: &Snapshot, tid: u32) -> String {
    explain(s, key_of(s, tid)).expect("card").join("\n")
}

#[test]
fn explain_a_kernel_thread() {
    let s = machine(11, 0);
    let c = card(&s, 3);
    assert!(
        c.contains("A kernel thread: made by kthreadd (PID 2)"),
        "{c}"
    );
    assert!(c.contains("no user address space"), "{c}");
    assert!(c.contains("State I, idle"), "{c}");
    insta::assert_snapshot!(c);
}

#[test]
fn explain_a_main_thread_and_a_secondary_thread() {
    let s = machine(11, 0);
    let main = card(&s, 200);
    assert!(main.contains("The main thread (group leader)"), "{main}");
    assert!(
        main.contains("getpid() and gettid() both return 200"),
        "{main}"
    );
    assert!(main.contains("A user thread"), "{main}");
    let second = card(&s, 202);
    assert!(
        second.contains("A secondary thread: gettid() returns 202, getpid() returns 200"),
        "{second}"
    );
    assert!(second.contains("State R, runnable"), "{second}");
    insta::assert_snapshot!("main_thread", main);
    insta::assert_snapshot!("secondary_thread", second);
}

#[test]
fn explain_a_thread_blocked_in_futex_and_what_it_shares() {
    let mut s = machine(11, 0);
    for t in s.processes.iter_mut().flat_map(|p| p.tasks.iter_mut()) {
        if t.tid == 201 {
            t.state = b'S';
            t.set_wait(Some(WaitInfo {
                wchan: Ok("futex_wait_queue".into()),
                syscall: Ok(SyscallState::In(FUTEX)),
            }));
        }
    }
    // A report in which worker-0 shares everything with its main thread but the fd table.
    let mut shares = HashMap::new();
    let mut tasks = Vec::new();
    for t in s
        .processes
        .iter()
        .flat_map(|p| p.tasks.iter())
        .filter(|t| t.tgid == 200)
    {
        let files = if t.tid == 201 { 2 } else { 1 };
        shares.insert(
            t.key(),
            Shares::from_fn(|r| match r {
                Resource::Files => Group::Id(files),
                _ => Group::Id(1),
            }),
        );
        tasks.push(TaskRef {
            key: t.key(),
            tgid: 200,
            kernel: false,
            zombie: false,
        });
    }
    s.shares = Some(Arc::new(ShareReport {
        tgid: 200,
        tasks,
        shares,
    }));
    let c = card(&s, 201);
    assert!(c.contains("Blocked in futex (in the kernel at futex_wait_queue): waiting on a lock or condition variable"), "{c}");
    assert!(
        c.contains("Shares with its main thread: VM, FS, SIGHAND"),
        "{c}"
    );
    assert!(
        c.contains("CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD"),
        "{c}"
    );
    assert!(c.contains("Has its own FILES"), "{c}");
    insta::assert_snapshot!(c);

    // The share pane's view of the same report: two rows, worker-0 in a second FILES group.
    let v = share_view(&s, s.shares.as_deref().expect("report"));
    assert_eq!(v.rows.len(), 2);
    let files = Resource::ALL
        .iter()
        .position(|r| *r == Resource::Files)
        .expect("files column");
    let odd = v
        .rows
        .iter()
        .find(|r| r.tids == vec![201])
        .expect("worker-0 alone");
    assert_eq!(odd.marks[files], Mark::Group(1));
    let rest = v
        .rows
        .iter()
        .find(|r| r.tids.len() == 3)
        .expect("the other three together");
    assert_eq!(rest.label, "3 threads");
    assert!(rest.marks.iter().all(|m| *m == Mark::Group(0)));
    assert!(!v.all_alike);
}

#[test]
fn unknown_groups_say_why() {
    let mut s = machine(11, 0);
    let t = s
        .processes
        .iter()
        .find(|p| p.tgid == 100)
        .expect("bash")
        .tasks[0]
        .key();
    let shares = HashMap::from([(
        t,
        Shares::from_fn(|_| Group::Unknown(threadtop::collect::share::Why::Denied)),
    )]);
    s.shares = Some(Arc::new(ShareReport {
        tgid: 100,
        tasks: vec![TaskRef {
            key: t,
            tgid: 100,
            kernel: false,
            zombie: false,
        }],
        shares,
    }));
    let v = share_view(&s, s.shares.as_deref().expect("report"));
    assert!(v.rows[0].marks.iter().all(|m| *m == Mark::Unknown));
    assert!(
        v.unknown
            .as_deref()
            .is_some_and(|w| w.contains("not permitted")),
        "{v:?}"
    );
}

fn pool_process(n: u32, at: u64) -> Snapshot {
    let mut tasks = vec![t(500, b"jvm", b'S', 0)];
    let names: Vec<&'static [u8]> = (1..=n)
        .map(|i| &*Box::leak(format!("pool-{i}").into_bytes().into_boxed_slice()))
        .collect();
    for (i, name) in names.into_iter().enumerate() {
        tasks.push(t(501 + i as u32, name, b'S', at * SEC / 1000 * i as u64));
    }
    tasks.push(t(600, b"GC Thread#0", b'S', 0));
    tasks.push(t(601, b"GC Thread#1", b'S', 0));
    snap(at, vec![p(500, 1, b"java", tasks)])
}

#[test]
fn sixty_four_pool_threads_read_as_one_row_that_unfolds() {
    let m = Model::new(
        Some(Arc::new(pool_process(64, 10))),
        Arc::new(pool_process(64, 11)),
    );
    let mut opts = ViewOptions {
        sort: SortKey::Tid,
        ..ViewOptions::default()
    };
    let rows = m.rows(&opts);
    let names: Vec<(RowKind, String, u32)> = rows
        .iter()
        .map(|r| (r.kind, r.name.clone(), r.threads))
        .collect();
    assert_eq!(
        names,
        vec![
            (RowKind::Process, "jvm".into(), 67),
            (RowKind::Thread, "jvm".into(), 1),
            (RowKind::Pool, "pool-#".into(), 64),
            (RowKind::Pool, "GC Thread##".into(), 2),
        ]
    );
    let pool = &rows[2];
    assert!(pool.folded && pool.foldable);
    // Its CPU is the sum of its members'.
    let members: f64 = m.rates.values().filter_map(|r| r.cpu_percent).sum();
    assert!((pool.cpu_percent.expect("sum") - members).abs() < 1e-6);
    opts.open_pools.insert(pool.key);
    let rows = m.rows(&opts);
    assert_eq!(rows.len(), 4 + 64);
    assert!(
        rows[3..67]
            .iter()
            .all(|r| r.kind == RowKind::Thread && r.name.starts_with("pool-"))
    );
    // A small process lists every thread.
    let small = Model::new(
        None,
        Arc::new(pool_process(POOL_MIN_THREADS as u32 - 4, 11)),
    );
    assert!(
        small
            .rows(&ViewOptions::default())
            .iter()
            .all(|r| r.kind != RowKind::Pool)
    );
}

#[test]
fn a_filter_on_thread_names_shows_the_threads_not_the_pool() {
    let m = Model::new(None, Arc::new(pool_process(64, 11)));
    let rows = m.rows(&ViewOptions {
        filter: Filter::parse("pool-1?"),
        ..ViewOptions::default()
    });
    assert!(rows.iter().all(|r| r.kind != RowKind::Pool));
    assert_eq!(
        rows.iter().filter(|r| r.kind == RowKind::Thread).count(),
        10
    );
}

#[test]
fn all_unknown_is_never_called_sharing_everything() {
    let mut s = machine(11, 0);
    let keys: Vec<TaskKey> = s
        .processes
        .iter()
        .find(|p| p.tgid == 200)
        .expect("pool")
        .tasks
        .iter()
        .map(|t| t.key())
        .collect();
    let shares = keys
        .iter()
        .map(|k| {
            (
                *k,
                Shares::from_fn(|_| Group::Unknown(threadtop::collect::share::Why::Denied)),
            )
        })
        .collect();
    let tasks = keys
        .iter()
        .map(|k| TaskRef {
            key: *k,
            tgid: 200,
            kernel: false,
            zombie: false,
        })
        .collect();
    s.shares = Some(Arc::new(ShareReport {
        tgid: 200,
        tasks,
        shares,
    }));
    let v = share_view(&s, s.shares.as_deref().expect("report"));
    assert_eq!(v.rows.len(), 1);
    assert!(!v.all_alike);
}

#[test]
fn json_lists_every_member_of_a_folded_pool_and_a_pool_row() {
    let m = Model::new(
        Some(Arc::new(pool_process(64, 10))),
        Arc::new(pool_process(64, 11)),
    );
    let out = threadtop::json::build(&m, &ViewOptions::default(), &HashMap::new());
    let v = serde_json::to_value(&out).expect("serialises");
    let tasks = v["tasks"].as_array().expect("tasks");
    // The leader, 64 pool members and 2 GC threads: folding hides rows, not tasks.
    assert_eq!(tasks.len(), 67);
    assert!(tasks.iter().any(|t| t["name"] == "pool-64"));
    let kinds: Vec<&str> = v["tree"]
        .as_array()
        .expect("tree")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "pool").count(),
        2,
        "{kinds:?}"
    );
}

#[test]
fn a_pool_row_is_explained_as_a_pool_then_by_its_first_member() {
    let s = pool_process(64, 11);
    let card = threadtop::model::explain::explain_pool(&s, s.processes[0].tgid, "pool-#")
        .expect("a card for the pool");
    let text = card.join("\n");
    assert!(
        card[0].starts_with("pool-# ×64: a pool of threads in process"),
        "{text}"
    );
    assert!(
        text.contains("64 threads whose names differ only by a number"),
        "{text}"
    );
    assert!(text.contains("States: 64 S."), "{text}");
    assert!(text.contains("The first of them, pool-1: task"), "{text}");
    assert!(text.contains("A user thread"), "{text}");
    assert!(
        threadtop::model::explain::explain_pool(&s, s.processes[0].tgid, "nothing-#").is_none(),
        "no card for a pool that is gone"
    );
}

#[test]
fn the_card_asks_for_exactly_the_lines_its_wrapped_text_takes() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;
    use threadtop::ui::explain::ExplainPane;
    use threadtop::ui::theme::Theme;
    let s = machine(11, 0);
    let card = threadtop::model::explain::explain(&s, key_of(&s, 202)).expect("a card");
    for width in [40u16, 64, 100, 160] {
        let pane = ExplainPane {
            card: Some(&card),
            theme: Theme::mono(),
            scroll: 0,
            focused: false,
        };
        let h = pane.height(width);
        let area = Rect::new(0, 0, width, h);
        let mut buf = Buffer::empty(area);
        pane.render(area, &mut buf);
        let row = |y: u16| -> String { (1..width - 1).map(|x| buf[(x, y)].symbol()).collect() };
        // The last line inside the border has text (no blank line wasted), and nothing is
        // cut off: the pane does not say it scrolls.
        assert!(
            !row(h - 2).trim().is_empty(),
            "blank last line at width {width}"
        );
        let bottom = row(h - 1);
        assert!(
            !bottom.contains("lines"),
            "cut off at width {width}: {bottom}"
        );
    }
}
