//! The overlays from fixture snapshots, keys in, state out, through `update` and the
//! runner as the loop runs them.

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use threadtop::app::{ActRequest, App, Overlay};
use threadtop::keymap::Mode;
use threadtop::model::{RowKind, ViewOptions};

fn key(app: &mut App, code: KeyCode) -> threadtop::app::Effects {
    let fx = app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    threadtop::app::runner::apply(app, &fx);
    app.settle();
    fx
}

fn started() -> App {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(machine(10, 0)));
    app.on_snapshot(Arc::new(machine(11, SEC / 2)));
    app
}

fn select(app: &mut App, tid: u32, kind: RowKind) {
    key(app, KeyCode::Home);
    while app
        .selected_row()
        .is_some_and(|r| !(r.tid == tid && r.kind == kind))
    {
        let before = app.cursor;
        key(app, KeyCode::Down);
        assert_ne!(before, app.cursor, "row {tid} not found");
    }
}

#[test]
fn the_affinity_picker_asks_for_a_fresh_read_and_says_when_it_cannot() {
    let mut app = started();
    select(&mut app, 201, RowKind::Thread);
    // `update` asks; it reads nothing itself.
    let fx = app.handle_key(&KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE));
    let Some(ActRequest::ReadAffinity { tasks }) = &fx.act else {
        panic!("a read of the current CPUs is asked for: {fx:?}");
    };
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].tid, 201);
    let p = app.affinity_picker().expect("open");
    assert!(
        p.chosen.is_empty() && p.now.is_none(),
        "nothing ticked before the read"
    );
    // The runner reads: the fixture's task 201 is not this machine's, so it cannot.
    threadtop::app::runner::apply(&mut app, &fx);
    let p = app.affinity_picker().expect("open");
    assert!(p.chosen.is_empty());
    let why = p.now.clone().expect("read").expect_err("unreadable");
    assert!(why.contains("current CPUs unreadable"), "{why}");
    // Enter with nothing ticked does not ask to apply nothing.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Affinity);
    assert_eq!(app.status.as_deref(), Some("choose at least one CPU"));
    // A read that comes back for other tasks (the picker was reopened) is not taken.
    let other = vec![threadtop::collect::TaskKey {
        tid: 1,
        start_ticks: 1,
    }];
    app.affinity_read(&other, Ok((vec![0], 0)));
    assert!(app.affinity_picker().is_some_and(|p| p.chosen.is_empty()));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn nice_on_every_thread_of_a_process_asks_first() {
    let mut app = started();
    select(&mut app, 200, RowKind::Process);
    let fx = key(&mut app, KeyCode::Char('+'));
    assert!(
        fx.act.is_none() && !fx.scan_now,
        "nothing done before the answer"
    );
    assert_eq!(app.mode(), Mode::Confirm);
    let Overlay::Confirm(q) = &app.overlay else {
        panic!("a question: {:?}", app.overlay);
    };
    assert_eq!(
        q.question(),
        "Nice +1 (less CPU) for all 4 threads of pool (200)?"
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.status.as_deref(), Some("nice unchanged"));
    // Yes: the request goes to the runner (here the fixture's tasks are not this
    // machine's, so it is refused, and says so).
    key(&mut app, KeyCode::Char('-'));
    let fx = app.handle_key(&KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE));
    assert!(
        matches!(&fx.act, Some(ActRequest::Nice { tasks, delta: -1, .. }) if tasks.len() == 4),
        "{fx:?}"
    );
    assert!(fx.scan_now);
    // One thread: no question, as before.
    select(&mut app, 201, RowKind::Thread);
    let fx = app.handle_key(&KeyEvent::new(KeyCode::Char('+'), KeyModifiers::NONE));
    assert!(matches!(&fx.act, Some(ActRequest::Nice { tasks, .. }) if tasks.len() == 1));
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn ctrl_z_asks_the_loop_to_suspend_in_every_mode() {
    let mut app = started();
    for open in [None, Some('/'), Some('?'), Some('k')] {
        if let Some(c) = open {
            key(&mut app, KeyCode::Char(c));
        }
        let fx = app.handle_key(&KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
        assert!(fx.suspend, "{:?}", app.mode());
        key(&mut app, KeyCode::Esc);
    }
}

/// `machine` with PID 1 unreadable, as under hidepid: its directory is listed, its stat
/// and command line are refused.
fn hidden_init() -> threadtop::collect::Snapshot {
    use threadtop::collect::{TaskInfo, Unreadable};
    let mut s = machine(11, SEC / 2);
    let init = s.processes.iter_mut().find(|p| p.tgid == 1).expect("init");
    init.tasks[0] = TaskInfo::unreadable(1, 1, Unreadable::Denied);
    init.cmdline = Err(Unreadable::Denied);
    s
}

#[test]
fn an_unreadable_process_is_said_so_and_not_acted_on() {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(machine(10, 0)));
    app.on_snapshot(Arc::new(hidden_init()));
    select(&mut app, 1, RowKind::Process);
    let row = app.selected_row().expect("init's row").clone();
    // Not a kernel thread's `[]`: no name, and why.
    assert!(!row.kernel);
    assert_eq!(row.name, "?");
    assert_eq!(row.command, "(not readable: permission denied)");
    for k in ['k', 'a', '+', '-'] {
        let fx = key(&mut app, KeyCode::Char(k));
        assert!(fx.act.is_none() && !fx.scan_now, "{k}: nothing done");
        assert_eq!(app.mode(), Mode::Normal, "{k}: no picker, no question");
        let status = app.status.clone().unwrap_or_default();
        assert!(
            status.starts_with("process 1 is not readable (permission denied)"),
            "{k}: {status}"
        );
        assert!(status.contains("does not act on it"), "{status}");
    }
}
