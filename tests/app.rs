//! App state driven by keys and snapshots, without a terminal: selection identity,
//! live filtering, runtime refresh interval, follow.

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use threadtop::app::App;
use threadtop::keymap::Mode;
use threadtop::model::columns::{Column, ColumnSet};
use threadtop::model::{RowKind, SortKey, ViewOptions};

/// A key as the loop handles it: `update`, then the runner for what it asked to be done.
fn key(app: &mut App, code: KeyCode) -> threadtop::app::Effects {
    let fx = app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    threadtop::app::runner::apply(app, &fx);
    app.settle();
    fx
}

fn select_tid(app: &mut App, tid: u32, kind: RowKind) {
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

fn started() -> App {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(machine(10, 0)));
    app.on_snapshot(Arc::new(machine(11, SEC / 2)));
    app
}

#[test]
fn selection_stays_on_the_same_task_across_refreshes_and_resorts() {
    let mut app = started();
    select_tid(&mut app, 202, RowKind::Thread);
    let pos = app.cursor;
    // worker-1 becomes the busiest: under CPU sort it moves, the selection moves with it.
    let mut next = machine(12, SEC);
    for t in next.processes.iter_mut().flat_map(|p| p.tasks.iter_mut()) {
        if t.tid == 202 {
            t.schedstat = Ok(threadtop::collect::SchedStat {
                run_ns: 5 * SEC,
                wait_ns: 0,
                timeslices: 1,
            });
        }
    }
    app.on_snapshot(Arc::new(next));
    assert_ne!(app.cursor, pos, "the row moved");
    assert_eq!(app.selected_row().map(|r| r.tid), Some(202));
    for _ in 0..6 {
        key(&mut app, KeyCode::Char('>'));
        assert_eq!(
            app.selected_row().map(|r| r.tid),
            Some(202),
            "{:?}",
            app.opts.sort
        );
    }
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.selected_row().map(|r| r.tid), Some(202));
    // Folded away, the selection falls back to its process; unfolded, the process stays.
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.selected_row().map(|r| (r.kind, r.tgid)),
        Some((RowKind::Process, 200))
    );
}

#[test]
fn a_vanished_selection_keeps_the_cursor_in_place() {
    let mut app = started();
    select_tid(&mut app, 203, RowKind::Thread);
    let pos = app.cursor;
    let mut next = machine(12, SEC);
    next.processes
        .iter_mut()
        .for_each(|p| p.tasks.retain(|t| t.tid != 203));
    app.on_snapshot(Arc::new(next));
    assert!(app.cursor.abs_diff(pos) <= 1);
    assert!(app.selected_row().is_some());
}

#[test]
fn typing_a_filter_applies_live_and_esc_clears_it() {
    let mut app = started();
    let all = app.rows.len();
    key(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode(), Mode::Filter);
    for c in "worker-".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let tids: Vec<u32> = app.rows.iter().map(|r| r.tid).collect();
    // In the tree: pool's two matching threads under pool, bash and init (context).
    assert_eq!(tids, vec![1, 100, 200, 201, 202]);
    // Navigation keys still work while typing; letters go into the filter.
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.filter_text, "worker-k");
    assert!(app.rows.is_empty());
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.rows.len(), 5);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.rows.len(), all);
}

#[test]
fn refresh_interval_changes_at_run_time() {
    let mut app = started();
    let fx = key(&mut app, KeyCode::Char(']'));
    assert_eq!(fx.interval, Some(Duration::from_secs(2)));
    key(&mut app, KeyCode::Char('['));
    let fx = key(&mut app, KeyCode::Char('['));
    assert_eq!(fx.interval, Some(Duration::from_millis(500)));
    for _ in 0..20 {
        key(&mut app, KeyCode::Char('['));
    }
    assert_eq!(app.refresh_interval, Duration::from_millis(100));
}

#[test]
fn sorting_on_switches_asks_the_collector_for_every_tasks_detail() {
    let mut app = started();
    assert!(!app.detail_plan().all);
    key(&mut app, KeyCode::Char('c'));
    assert!(
        app.detail_plan().tids.contains(&201),
        "visible rows get detail under the scheduling columns"
    );
    key(&mut app, KeyCode::Char('c'));
    for k in ['<', '>'] {
        while app.opts.sort != SortKey::Switches {
            key(&mut app, KeyCode::Char(k));
        }
        // Whatever the columns: sorting on switches needs every task's `status`.
        assert!(app.detail_plan().all, "{k}");
        key(&mut app, KeyCode::Char('c'));
        assert!(app.detail_plan().all, "{k}, other columns");
        key(&mut app, KeyCode::Char(k));
    }
    for sort in [SortKey::Voluntary, SortKey::Involuntary] {
        while app.opts.sort != sort {
            key(&mut app, KeyCode::Char('>'));
        }
        assert!(app.detail_plan().all, "{sort:?}");
    }
}

#[test]
fn status_is_read_only_for_what_a_shown_column_or_pane_needs() {
    let mut app = started();
    assert_eq!(app.columns, ColumnSet::Basic);
    let basic = app.detail_plan();
    // The basic columns show nothing only `status` has (SW/s comes from schedstat).
    assert!(!basic.all && !basic.screen_status);
    assert!(basic.tids.is_empty(), "{:?}", basic.tids);
    assert!(basic.screen.contains(&201), "the rows on screen are named");
    assert_eq!(
        basic.sched_tgid, None,
        "no `sched` without the placement pane"
    );

    // The scheduling columns show affinity and voluntary/involuntary switches.
    key(&mut app, KeyCode::Char('c'));
    let sched = app.detail_plan();
    assert!(sched.screen_status);
    assert!(sched.screen.iter().all(|t| sched.tids.contains(t)));
    assert!(
        sched.wants_scan_now(&basic),
        "shown at once, not a tick later"
    );
    assert!(!basic.wants_scan_now(&sched));

    // One of those columns alone in the basic set is enough.
    key(&mut app, KeyCode::Char('c'));
    app.column_layout.basic = vec![Column::Tid, Column::Voluntary];
    assert!(app.detail_plan().tids.contains(&201));
    app.column_layout.basic = vec![Column::Tid, Column::Switches, Column::Cpu];
    assert!(app.detail_plan().tids.is_empty());

    // The placement pane: the selected process's tasks' affinity and exact migrations.
    select_tid(&mut app, 202, RowKind::Thread);
    let before = app.detail_plan();
    key(&mut app, KeyCode::Char('p'));
    let placement = app.detail_plan();
    assert_eq!(placement.sched_tgid, Some(200));
    for tid in [200, 201, 202, 203] {
        assert!(placement.tids.contains(&tid), "{tid}");
    }
    assert!(placement.wants_scan_now(&before));
    key(&mut app, KeyCode::Char('p'));

    // The explain card: its task's allowed CPUs, wchan and system call.
    key(&mut app, KeyCode::Char('e'));
    let explain = app.detail_plan();
    assert_eq!(explain.explain_tid, Some(202));
    assert_eq!(explain.tids, [202].into());
}

#[test]
fn the_processes_and_pools_on_screen_and_the_selection_have_all_their_waits_sampled() {
    let mut app = started();
    // Nothing on screen shows what tasks wait on (no WHY column, no why pane, no explain
    // card): nothing is sampled.
    let plan = app.detail_plan();
    assert!(plan.no_waits);
    assert!(threadtop::collect::worker::sampled_tasks(&machine(12, SEC), &plan).is_empty());
    // The why pane shows them; so would the WHY column or the explain card.
    key(&mut app, KeyCode::Char('w'));
    assert!(!app.detail_plan().no_waits);
    key(&mut app, KeyCode::Char('w'));
    app.column_layout.basic.push(Column::Why);
    assert!(!app.detail_plan().no_waits);
    key(&mut app, KeyCode::Char('e'));
    app.column_layout.basic.pop();
    assert!(!app.detail_plan().no_waits, "the explain card's verdict");
    // The tree shows init, bash and the pool's process: each verdict (WHY, the why pane)
    // is about all its threads, so all are sampled, not only the rows drawn.
    let plan = app.detail_plan();
    for tgid in [1, 100, 200] {
        assert!(
            plan.why_tgids.contains(&tgid),
            "{tgid}: {:?}",
            plan.why_tgids
        );
    }
    // Folded out of sight, a process is still sampled while it is selected.
    app.set_page_height(1);
    select_tid(&mut app, 203, RowKind::Thread);
    let plan = app.detail_plan();
    assert!(!plan.screen.contains(&1), "{:?}", plan.screen);
    assert!(!plan.why_tgids.contains(&1), "{:?}", plan.why_tgids);
    assert!(plan.why_tgids.contains(&200), "{:?}", plan.why_tgids);
    let sampled = threadtop::collect::worker::sampled_tasks(&machine(12, SEC), &plan);
    for tid in [200, 201, 202, 203] {
        assert!(sampled.contains(&(200, tid)), "{tid}: {sampled:?}");
    }
}

/// The breakdowns and verdicts (with the events, one per task: 7.6 MB of heap a tick at
/// 10,000 threads) are computed only while something shown needs them, and at once when
/// it is opened, not a tick later.
#[test]
fn the_why_analysis_is_made_only_while_shown_and_at_once_when_opened() {
    let mut app = started();
    let has_why = |app: &App| app.model.as_ref().expect("a model").has_why();
    assert!(!has_why(&app), "analysed for a view that shows none of it");
    // The why pane: analysed when it opens, and on every snapshot while it is open.
    key(&mut app, KeyCode::Char('w'));
    assert!(has_why(&app), "the why pane opened on an unanalysed model");
    app.on_snapshot(Arc::new(machine(12, SEC)));
    assert!(has_why(&app));
    key(&mut app, KeyCode::Char('w'));
    app.on_snapshot(Arc::new(machine(13, SEC)));
    assert!(!has_why(&app));
    // The explain card leads with a verdict; the WHY column shows one per row.
    key(&mut app, KeyCode::Char('e'));
    assert!(
        has_why(&app),
        "the explain card opened on an unanalysed model"
    );
    key(&mut app, KeyCode::Char('e'));
    app.column_layout.basic.push(Column::Why);
    app.on_snapshot(Arc::new(machine(14, SEC)));
    assert!(has_why(&app), "the WHY column shown on an unanalysed model");
}

#[test]
fn view_toggles_and_quit() {
    let mut app = started();
    key(&mut app, KeyCode::Char('K'));
    assert!(app.rows.iter().all(|r| !r.kernel));
    key(&mut app, KeyCode::Char('H'));
    assert!(app.rows.iter().all(|r| r.kind == RowKind::Process));
    key(&mut app, KeyCode::Char('t'));
    assert!(!app.opts.tree);
    assert!(app.rows.iter().all(|r| r.depth == 0));
    key(&mut app, KeyCode::Char('{'));
    key(&mut app, KeyCode::Char('H'));
    assert!(
        app.rows.iter().all(|r| r.kind == RowKind::Process),
        "all folded"
    );
    key(&mut app, KeyCode::Char('}'));
    assert!(app.rows.iter().any(|r| r.kind == RowKind::Thread));
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn follow_unfolds_what_hides_the_task_and_reports_its_exit() {
    let mut app = started();
    select_tid(&mut app, 201, RowKind::Thread);
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.follow.map(|f| f.key.tid), Some(201));
    // Something folds its process: following brings it back into view.
    key(&mut app, KeyCode::Char('{'));
    app.on_snapshot(Arc::new(machine(12, SEC)));
    assert_eq!(
        app.selected_row().map(|r| (r.kind, r.tid)),
        Some((RowKind::Thread, 201))
    );
    let mut next = machine(13, SEC);
    next.processes
        .iter_mut()
        .for_each(|p| p.tasks.retain(|t| t.tid != 201));
    app.on_snapshot(Arc::new(next));
    assert!(app.follow.is_none());
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.contains("201 has exited"))
    );
}

#[test]
fn typing_a_filter_that_hides_the_selection_starts_at_the_top() {
    let mut app = started();
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Char('o'));
    assert!(app.rows.len() > 3, "{}", app.rows.len());
    assert_eq!(
        (app.cursor, app.offset),
        (0, 0),
        "{:?}",
        app.selected_row().map(|r| r.tid)
    );
}

#[test]
fn enter_on_a_pool_row_unfolds_and_folds_it() {
    use threadtop::collect::Snapshot;
    fn big(at: u64) -> Snapshot {
        let names: Vec<&'static [u8]> = (0..20)
            .map(|i| &*Box::leak(format!("worker-{i}").into_bytes().into_boxed_slice()))
            .collect();
        let mut tasks = vec![t(700, b"server", b'S', 0)];
        tasks.extend(
            names
                .into_iter()
                .enumerate()
                .map(|(i, n)| t(701 + i as u32, n, b'S', 0)),
        );
        snap(at, vec![p(700, 1, b"server", tasks)])
    }
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(big(10)));
    app.on_snapshot(Arc::new(big(11)));
    assert_eq!(app.rows.len(), 3, "process, main thread, one pool");
    select_tid(&mut app, 701, RowKind::Pool);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.rows.len(), 3 + 20);
    // Still selected after a refresh, and closes again.
    app.on_snapshot(Arc::new(big(12)));
    assert_eq!(app.selected_row().map(|r| r.kind), Some(RowKind::Pool));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.rows.len(), 3);
}

/// An empty /proc: every re-check before acting fails, so these tests never touch a real
/// task whatever the fixture's TIDs happen to be on this machine.
fn no_proc(app: &mut App) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    app.proc_root = dir.path().to_path_buf();
    dir
}

#[test]
fn signal_picker_preselects_term_and_confirms_exactly_what_it_will_do() {
    use threadtop::act::signal::Target;
    let mut app = started();
    let _proc = no_proc(&mut app);
    select_tid(&mut app, 201, RowKind::Thread);
    key(&mut app, KeyCode::Char('S'));
    assert_eq!(app.mode(), Mode::Signal);
    let p = app.signal_picker().cloned().expect("picker open");
    assert_eq!(p.signal().full_name(), "SIGTERM");
    assert_eq!(p.question(), "Send SIGTERM to thread 201 (worker-0) only?");
    assert!(
        matches!(&p.to, Target::Threads { tgid: 200, tasks } if tasks.len() == 1 && tasks[0].tid == 201)
    );
    // Up at the top stays; down three times is SIGKILL; Enter asks.
    key(&mut app, KeyCode::Up);
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.signal_picker().map(|p| p.signal().name), Some("KILL"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Confirm);
    assert_eq!(
        app.signal_picker().map(|p| p.question()).as_deref(),
        Some("Send SIGKILL to thread 201 (worker-0) only?")
    );
    // No: nothing sent, back to the list.
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.signal_picker().is_none());
    assert_eq!(app.status.as_deref(), Some("no signal sent"));
    // Yes on a task that is not the one shown any more: refused, and said so.
    key(&mut app, KeyCode::Char('S'));
    key(&mut app, KeyCode::Enter);
    let fx = key(&mut app, KeyCode::Char('y'));
    assert!(fx.scan_now);
    assert_eq!(app.mode(), Mode::Normal);
    let status = app.status.clone().unwrap_or_default();
    assert!(status.starts_with("could not send SIGTERM"), "{status}");
    assert!(
        status.contains("201 is no longer the one shown"),
        "{status}"
    );
    assert!(status.contains("nothing was sent"), "{status}");
}

#[test]
fn a_process_row_signals_the_whole_process() {
    use threadtop::act::signal::Target;
    let mut app = started();
    select_tid(&mut app, 200, RowKind::Process);
    key(&mut app, KeyCode::Char('S'));
    let p = app.signal_picker().cloned().expect("picker open");
    assert_eq!(p.question(), "Send SIGTERM to process 200 (pool)?");
    assert!(matches!(p.to, Target::Process(k) if k.tid == 200));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.signal_picker().is_none());
}

#[test]
fn nice_keys_report_in_the_footer_and_fold_keys_moved_to_braces() {
    let mut app = started();
    let _proc = no_proc(&mut app);
    select_tid(&mut app, 202, RowKind::Thread);
    let fx = key(&mut app, KeyCode::Char('+'));
    assert!(fx.scan_now);
    let status = app.status.clone().unwrap_or_default();
    assert!(status.starts_with("could not change nice"), "{status}");
    assert!(
        status.contains("202 is no longer the one shown"),
        "{status}"
    );
    // '-' is nice -1 now, not "fold all": every row is still there.
    let rows = app.rows.len();
    key(&mut app, KeyCode::Char('-'));
    assert!(
        app.status
            .as_deref()
            .is_some_and(|s| s.starts_with("could not change nice")),
        "{:?}",
        app.status
    );
    assert_eq!(app.rows.len(), rows);
    key(&mut app, KeyCode::Char('{'));
    assert!(app.rows.len() < rows);
    key(&mut app, KeyCode::Char('}'));
    assert_eq!(app.rows.len(), rows);
}

#[test]
fn actions_are_refused_in_a_replay_with_the_same_message() {
    let mut app = started();
    app.replay = Some(threadtop::app::ReplayInfo {
        position: String::new(),
        fraction: 0.0,
        playing: false,
        speed: 1,
    });
    select_tid(&mut app, 201, RowKind::Thread);
    let mut messages = Vec::new();
    for c in ['a', 'S', '+', '-'] {
        let fx = key(&mut app, KeyCode::Char(c));
        assert!(!fx.scan_now);
        assert_eq!(app.mode(), Mode::Normal, "{c}");
        assert!(app.signal_picker().is_none() && app.affinity_picker().is_none());
        messages.push(app.status.clone().unwrap_or_default());
    }
    assert!(messages[0].contains("actions that change the system are disabled"));
    assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
}

#[test]
fn following_keeps_the_task_on_the_same_screen_line_while_rows_appear_above() {
    let mut app = App::new(
        ViewOptions {
            tree: false,
            sort: SortKey::Tid,
            ..ViewOptions::default()
        },
        Duration::from_secs(1),
    );
    app.on_snapshot(Arc::new(machine(10, 0)));
    app.on_snapshot(Arc::new(machine(11, SEC / 2)));
    app.set_page_height(5);
    // The pool's process row: a whole page of rows below it, so it can stay on top.
    select_tid(&mut app, 200, RowKind::Process);
    key(&mut app, KeyCode::Char('f'));
    // On the first visible line: plain scrolling would move it to the bottom edge.
    app.offset = app.cursor;
    let (line, was) = (app.cursor - app.offset, app.cursor);
    // Ten new processes with TGIDs below the pool's sort above it, pushing it down.
    let mut next = machine(12, SEC);
    for i in 0..10u32 {
        let mut p = next.processes[0].clone();
        p.tgid = 110 + i;
        p.tasks[0].tid = 110 + i;
        p.tasks[0].tgid = 110 + i;
        next.processes.push(p);
    }
    app.on_snapshot(Arc::new(next));
    assert_eq!(
        app.selected_row().map(|r| (r.kind, r.tid)),
        Some((RowKind::Process, 200))
    );
    assert!(
        app.cursor > was,
        "the rows must land above it for this to mean anything"
    );
    assert_eq!(app.cursor - app.offset, line, "same screen line");
}

#[test]
fn the_column_editor_hides_orders_and_saves_columns() {
    use threadtop::model::columns::{Column, ColumnSet};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("threadtop").join("config.toml");
    let mut app = started();
    app.config_path = Some(path.clone());
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(app.mode(), Mode::Columns);
    // Down to TGID, hide it; the basic set loses it at once.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert!(!app.column_layout.basic.contains(&Column::Tgid));
    // Back up to TID and move it right, past USER.
    for _ in 0..20 {
        key(&mut app, KeyCode::Up);
    }
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(&app.column_layout.basic[..2], &[Column::User, Column::Tid]);
    // The other set; the table shows the set being edited.
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.columns, ColumnSet::Scheduling);
    key(&mut app, KeyCode::Char(' '));
    assert!(!app.column_layout.scheduling.contains(&Column::Tid));
    key(&mut app, KeyCode::Char('w'));
    let status = app.status.clone().unwrap_or_default();
    assert!(status.starts_with("columns saved to "), "{status}");
    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(
        text.contains("basic = [\"user\", \"tid\", \"state\","),
        "{text}"
    );
    assert!(text.contains("scheduling = [\"state\", \"cpu\","), "{text}");
    // Esc closes; the changes stay for this run.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.column_editor().is_none());
    assert!(!app.column_layout.scheduling.contains(&Column::Tid));
}

#[test]
fn saving_columns_reports_a_failure_instead_of_losing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file where the config directory should be.
    let blocker = dir.path().join("threadtop");
    std::fs::write(&blocker, "").expect("write");
    let mut app = started();
    app.config_path = Some(blocker.join("config.toml"));
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Char('w'));
    let status = app.status.clone().unwrap_or_default();
    assert!(status.starts_with("columns not saved: "), "{status}");
    app.config_path = None;
    key(&mut app, KeyCode::Char('w'));
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("no config directory"), "{status}");
}

/// A fake /proc in which `tid` exists, started at `start_ticks` (its `stat`, as the kernel
/// writes it: starttime is field 22).
fn proc_with(app: &mut App, tid: u32, start_ticks: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(tid.to_string())).expect("mkdir");
    let mut fields: Vec<String> = vec!["S".into(), "1".into()];
    fields.extend((4..=52).map(|_| "0".to_string()));
    fields[22 - 3] = start_ticks.to_string();
    let stat = format!("{tid} (sleep) {}\n", fields.join(" "));
    std::fs::write(dir.path().join(format!("{tid}/stat")), stat).expect("stat");
    app.proc_root = dir.path().to_path_buf();
    dir
}

/// The re-check before a signal is what stops it: the target is a real child of this test,
/// shown with one start time while /proc has its TID with another (a reused TID). Refused,
/// and the child lives; with the start time matching, the same keys do signal it (so the
/// refusal came from the check, not from a missing /proc). An empty fake /proc could not
/// tell the check from its absence: both ended in "no longer the one shown".
#[test]
fn a_signal_never_reaches_a_task_whose_tid_was_reused() {
    let mut child = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn sleep");
    let c = child.id();
    let shown = |at| {
        snap(
            at,
            vec![p(
                c,
                1,
                b"sleep\x0060",
                vec![t(c, b"sleep", b'S', 0).start(777)],
            )],
        )
    };
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(shown(10)));
    app.on_snapshot(Arc::new(shown(11)));
    let send_term = |app: &mut App| {
        select_tid(app, c, RowKind::Process);
        key(app, KeyCode::Char('S'));
        key(app, KeyCode::Enter);
        key(app, KeyCode::Char('y'));
        app.status.clone().unwrap_or_default()
    };
    let reused = proc_with(&mut app, c, 778);
    let status = send_term(&mut app);
    assert!(status.contains("no longer the one shown"), "{status}");
    assert!(status.contains("nothing was sent"), "{status}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the child was signalled"
    );
    drop(reused);
    let _same = proc_with(&mut app, c, 777);
    let status = send_term(&mut app);
    let end = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(end.signal(), Some(libc::SIGTERM), "{status}");
}

#[test]
fn statm_and_io_are_read_only_while_a_memory_or_io_column_is_shown_or_sorted() {
    let mut app = started();
    let plan = app.detail_plan();
    assert!(!plan.memory && !plan.io, "the default columns need neither");
    // RES and MEM% come from stat: no statm.
    app.column_layout.basic.push(Column::Res);
    app.column_layout.basic.push(Column::MemPercent);
    assert!(!app.detail_plan().memory);
    app.column_layout.basic.push(Column::Shr);
    assert!(app.detail_plan().memory && !app.detail_plan().io);
    app.column_layout.basic.push(Column::IoWrite);
    assert!(app.detail_plan().io);
    // Under the other set they are not shown: nothing read, unless sorted on.
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.columns, ColumnSet::Scheduling);
    let plan = app.detail_plan();
    assert!(!plan.memory && !plan.io);
    app.opts.sort = SortKey::IoRead;
    assert!(app.detail_plan().io && !app.detail_plan().memory);
    app.opts.sort = SortKey::Virt;
    assert!(app.detail_plan().memory);
}
