//! The hand-off (`!`) from fixture snapshots, keys in, state and effects out: the picker
//! names the task and the IDs it will use, a tool not on PATH cannot start, Enter returns
//! the effect the loop runs, and the runner refuses a task whose TID now names another.
//! The tool actually running in a terminal is tests/e2e_hand_off.rs.

mod fixture;

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use threadtop::app::{ActRequest, App, Effects};
use threadtop::config::tools::Tool;
use threadtop::keymap::{self, Mode};
use threadtop::model::{RowKind, ViewOptions};

/// A key through `update` and the runner's `apply`, as the loop does (the hand-off itself
/// is not run here: `apply` leaves it to the loop).
fn key(app: &mut App, code: KeyCode) -> Effects {
    let fx = app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    threadtop::app::runner::apply(app, &fx);
    app.settle();
    fx
}

fn started() -> App {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(machine(10, 0)));
    app.on_snapshot(Arc::new(machine(11, SEC / 2)));
    // One that is on every PATH, one that is on none.
    app.tools = vec![
        Tool::new(
            "hello",
            threadtop::config::tools::split("sh -c 'echo {tid} {pid} {comm}'").expect("words"),
        )
        .expect("valid"),
        Tool::new(
            "nosuch",
            vec!["no-such-tool-threadtop".into(), "{tid}".into()],
        )
        .expect("valid"),
    ];
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
fn bang_is_in_the_key_table_with_a_footer_hint() {
    assert_eq!(
        keymap::lookup(
            Mode::Normal,
            keymap::Key {
                code: KeyCode::Char('!'),
                ctrl: false
            }
        ),
        Some(threadtop::action::Action::HandOff)
    );
    assert!(
        keymap::hints(Mode::Normal, false)
            .iter()
            .any(|(k, label)| k == "!" && *label == "tools")
    );
    assert!(
        keymap::help_lines(Mode::Normal, false)
            .iter()
            .any(|(k, about)| k == "!" && about.contains("strace"))
    );
}

#[test]
fn the_picker_names_the_thread_and_the_ids_each_tool_gets() {
    let mut app = started();
    select(&mut app, 202, RowKind::Thread);
    let fx = app.handle_key(&KeyEvent::new(KeyCode::Char('!'), KeyModifiers::NONE));
    // `update` asks the runner to look the programs up; it looks nothing up itself.
    let Some(ActRequest::FindTools { programs }) = &fx.act else {
        panic!("a PATH lookup is asked for: {fx:?}");
    };
    assert_eq!(programs, &["sh", "no-such-tool-threadtop"]);
    assert_eq!(app.mode(), Mode::Tools);
    let p = app.tool_picker().expect("open");
    assert_eq!(p.words, "thread 202 (worker-1) of process 200");
    assert_eq!((p.tid, p.pid), (202, 200));
    assert_eq!(p.entries[0].shown, "sh -c 'echo 202 200 worker-1'");
    assert_eq!(p.entries[1].shown, "no-such-tool-threadtop 202");
    assert!(p.entries.iter().all(|e| e.installed.is_none()));
    threadtop::app::runner::apply(&mut app, &fx);
    let p = app.tool_picker().expect("open");
    let found: Vec<Option<bool>> = p.entries.iter().map(|e| e.installed).collect();
    assert_eq!(found, [Some(true), Some(false)]);
    // The one not installed cannot start: said, and the picker stays.
    key(&mut app, KeyCode::Down);
    let fx = key(&mut app, KeyCode::Enter);
    assert!(fx.hand_off.is_none());
    assert_eq!(app.mode(), Mode::Tools);
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("nosuch is not installed"), "{status}");
    // The other: the effect, with the words as one argument each and both tasks to check.
    key(&mut app, KeyCode::Up);
    let fx = key(&mut app, KeyCode::Enter);
    let h = fx.hand_off.expect("a hand-off");
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(h.tool, "hello");
    let want: Vec<OsString> = vec!["sh".into(), "-c".into(), "echo 202 200 worker-1".into()];
    assert_eq!(h.argv, want);
    let checked: Vec<(u32, u64)> = h.check.iter().map(|k| (k.tid, k.start_ticks)).collect();
    assert_eq!(checked, [(202, 202), (200, 200)]);
}

#[test]
fn a_process_row_hands_its_main_thread_and_esc_starts_nothing() {
    let mut app = started();
    select(&mut app, 200, RowKind::Process);
    key(&mut app, KeyCode::Char('!'));
    let p = app.tool_picker().expect("open");
    assert_eq!(p.words, "process 200 (pool)");
    assert_eq!((p.tid, p.pid), (200, 200));
    assert_eq!(p.check.len(), 1, "the task is the process");
    let fx = key(&mut app, KeyCode::Esc);
    assert!(fx.hand_off.is_none());
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.status.as_deref(), Some("no tool started"));
}

#[test]
fn a_pool_row_and_a_replay_are_refused_with_the_reason() {
    // A server with 20 workers (pools start at 16): one pool row under it.
    let server = |at| {
        let mut tasks = vec![t(700, b"server", b'S', 0)];
        for i in 0..20u32 {
            let name: &'static [u8] = Box::leak(format!("worker-{i}").into_bytes().into());
            tasks.push(t(701 + i, name, b'S', 0));
        }
        snap(at, vec![p(700, 1, b"server", tasks)])
    };
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(server(10)));
    app.on_snapshot(Arc::new(server(11)));
    let pool = app
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Pool)
        .map(|r| r.tid)
        .expect("a pool row");
    select(&mut app, pool, RowKind::Pool);
    let fx = key(&mut app, KeyCode::Char('!'));
    assert!(fx.act.is_none() && fx.hand_off.is_none());
    assert_eq!(app.mode(), Mode::Normal);
    let status = app.status.clone().unwrap_or_default();
    assert!(
        status.contains("is 20 threads") && status.contains("select one for a tool"),
        "{status}"
    );
    let mut app = started();
    app.replay = Some(threadtop::app::ReplayInfo {
        position: String::new(),
        fraction: 0.0,
        playing: false,
        speed: 1,
    });
    select(&mut app, 201, RowKind::Thread);
    let fx = key(&mut app, KeyCode::Char('!'));
    assert!(fx.act.is_none() && fx.hand_off.is_none());
    assert_eq!(app.mode(), Mode::Normal);
    let status = app.status.clone().unwrap_or_default();
    assert!(status.starts_with("replaying a recording"), "{status}");
}

/// A fake /proc in which each (tid, start) exists with that start time (field 22 of
/// `stat`, as the kernel writes it).
fn fake_proc(tasks: &[(u32, u64)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for &(tid, start) in tasks {
        std::fs::create_dir(dir.path().join(tid.to_string())).expect("mkdir");
        let mut fields: Vec<String> = vec!["S".into(), "1".into()];
        fields.extend((4..=52).map(|_| "0".to_string()));
        fields[22 - 3] = start.to_string();
        let stat = format!("{tid} (x) {}\n", fields.join(" "));
        std::fs::write(dir.path().join(format!("{tid}/stat")), stat).expect("stat");
    }
    dir
}

/// The runner re-checks the thread and its process before anything else: a TID now
/// started at another time (reused) is refused, saying which, and the terminal is never
/// touched (this test has none).
#[test]
fn a_tool_is_never_started_on_a_task_whose_tid_now_names_another() {
    let mut app = started();
    select(&mut app, 202, RowKind::Thread);
    key(&mut app, KeyCode::Char('!'));
    let fx = key(&mut app, KeyCode::Enter);
    let h = fx.hand_off.expect("a hand-off");
    // The thread reused (its start time differs), its process as shown.
    let dir = fake_proc(&[(202, 9_999), (200, 200)]);
    app.proc_root = dir.path().to_path_buf();
    let mut held = Vec::new();
    let drawn_anew = threadtop::app::runner::hand_off(&mut app, &h, &mut |on| held.push(on))
        .expect("no terminal use");
    assert!(!drawn_anew);
    assert!(held.is_empty(), "the collector is not held for a refusal");
    let status = app.status.clone().unwrap_or_default();
    assert!(
        status.contains("task 202 is no longer the one shown")
            && status.contains("hello not started"),
        "{status}"
    );
    // The thread as shown, its process replaced: refused as well, naming the process.
    let dir = fake_proc(&[(202, 202), (200, 12_345)]);
    app.proc_root = dir.path().to_path_buf();
    assert!(!threadtop::app::runner::hand_off(&mut app, &h, &mut |_| {}).expect("no terminal use"));
    let status = app.status.clone().unwrap_or_default();
    assert!(
        status.contains("task 200 is no longer the one shown"),
        "{status}"
    );
}
