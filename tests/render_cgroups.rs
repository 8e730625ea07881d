//! The cgroups on screen, from fixture snapshots: the header's hint when a shown cgroup was
//! throttled, the CPU pane's cpusets, the explain card's cgroup lines, the cgroup grouping.

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use threadtop::app::App;
use threadtop::model::ViewOptions;
use threadtop::ui::Pane;
use threadtop::ui::theme::Theme;

/// The pool's cgroup (0.5 CPU, CPU 1 only) ran out of quota in `throttled` of the last
/// second's 10 periods.
fn app(throttled: u64) -> App {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(machine_in_cgroups(10, 0, 0)));
    app.on_snapshot(Arc::new(machine_in_cgroups(11, SEC / 2, throttled)));
    app
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| app.draw(f, Theme::mono())).expect("draw");
    text(term.backend().buffer())
}

fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(app: &mut App, code: KeyCode) {
    let fx = app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    threadtop::app::runner::apply(app, &fx);
    app.settle();
}

fn select(app: &mut App, tid: u32) {
    for _ in 0..50 {
        if app.selected_row().is_some_and(|r| r.tid == tid) {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("task {tid} not in the rows");
}

#[test]
fn a_throttled_cgroup_shows_in_the_header_the_cpu_pane_and_the_explain_card() {
    let mut a = app(5);
    a.panes.set_open(Pane::Cpus, true);
    select(&mut a, 201);
    key(&mut a, KeyCode::Char('e'));
    let screen = render(&mut a, 100, 40);
    assert!(
        screen.contains("! throttled: pool.service 50 % (0.5 CPU)"),
        "{screen}"
    );
    assert!(
        screen.contains("cpu0: init.scope, session-3.scope"),
        "{screen}"
    );
    assert!(
        screen.contains("cpu1: init.scope, pool.service, session-3.scope, web"),
        "{screen}"
    );
    assert!(
        screen.contains(
            "Cgroup: pool.service (v2 /system.slice/pool.service): it may use 0.5 CPU, on CPUs 1."
        ),
        "{screen}"
    );
    assert!(
        screen.contains(
            "Throttled in 50 % of the last second's CPU periods: its cgroup may use 0.5 CPU"
        ),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn no_hint_when_nothing_was_throttled_and_no_cpusets_when_every_cgroup_has_every_cpu() {
    let mut a = app(0);
    a.panes.set_open(Pane::Cpus, true);
    select(&mut a, 201);
    key(&mut a, KeyCode::Char('e'));
    let screen = render(&mut a, 100, 40);
    assert!(!screen.contains("throttled:"), "{screen}");
    assert!(!screen.contains("Throttled in"), "{screen}");
    // Its cgroup and limit are stated all the same.
    assert!(
        screen.contains("it may use 0.5 CPU, on CPUs 1."),
        "{screen}"
    );
    // The pool's cpuset is still CPU 1 only: the pane says so.
    assert!(
        screen.contains("cpu0: init.scope, session-3.scope"),
        "{screen}"
    );
    // With the pool filtered out, every shown cgroup has both CPUs: no cpuset lines.
    a.opts.pids = vec![1, 100];
    a.rebuild();
    let screen = render(&mut a, 100, 40);
    assert!(!screen.contains("cgroup cpusets"), "{screen}");
}

#[test]
fn z_groups_the_table_by_cgroup_and_enter_folds_a_cgroup() {
    let mut a = app(5);
    key(&mut a, KeyCode::Char('z'));
    let screen = render(&mut a, 120, 30);
    assert!(screen.contains("by cgroup"), "the footer says so: {screen}");
    // The key's footer word, where the footer has room (it comes after the panes' keys
    // and `!`, which a narrow footer keeps first: 150 columns no longer hold it).
    let wide = render(&mut a, 200, 30);
    assert!(
        wide.contains("z by cgroup"),
        "the key in the footer: {wide}"
    );
    assert!(
        screen.contains("pool.service  v2 /system.slice/pool.service  0.5 CPU"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // Enter on a cgroup row folds it like a process.
    select_cgroup(&mut a, "pool.service");
    key(&mut a, KeyCode::Enter);
    let screen = render(&mut a, 100, 30);
    assert!(!screen.contains("worker-0"), "{screen}");
    assert!(
        screen.contains("worker-1"),
        "in `web`, not folded: {screen}"
    );
    // And `z` again is the process tree.
    key(&mut a, KeyCode::Char('z'));
    let screen = render(&mut a, 120, 30);
    assert!(!screen.contains("v2 /system.slice"), "{screen}");
    assert!(screen.contains("worker-0"), "{screen}");
}

fn select_cgroup(app: &mut App, name: &str) {
    key(app, KeyCode::Home);
    for _ in 0..50 {
        if app
            .selected_row()
            .is_some_and(|r| r.kind == threadtop::model::RowKind::Cgroup && r.name == name)
        {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("cgroup {name} not in the rows");
}

#[test]
fn u_is_in_the_help_screen() {
    let mut a = app(0);
    key(&mut a, KeyCode::Char('?'));
    let screen = render(&mut a, 100, 60);
    assert!(
        screen.contains("group tasks by cgroup (unit, container) or by process"),
        "{screen}"
    );
}
