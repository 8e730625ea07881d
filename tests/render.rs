//! Each pane rendered into ratatui's TestBackend from fixture snapshots, compared with
//! reviewed insta snapshots; selection and colour asserted where text cannot show them.

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use threadtop::app::App;
use threadtop::collect::{CpuSample, CpuTimes, Snapshot};
use threadtop::model::ViewOptions;
use threadtop::ui::theme::{Glyphs, Theme};
use threadtop::ui::{self, Pane};

fn app_with(prev: Snapshot, cur: Snapshot, opts: ViewOptions) -> App {
    let mut app = App::new(opts, Duration::from_secs(1));
    app.on_snapshot(Arc::new(prev));
    app.on_snapshot(Arc::new(cur));
    app
}

fn app() -> App {
    app_with(machine(10, 0), machine(11, SEC / 2), ViewOptions::default())
}

fn render(app: &mut App, w: u16, h: u16, theme: Theme) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| app.draw(f, theme)).expect("draw");
    term.backend().buffer().clone()
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

#[test]
fn main_screen_80x24() {
    let mut a = app();
    insta::assert_snapshot!(text(&render(&mut a, 80, 24, Theme::mono())));
}

#[test]
fn flat_list_sorted_by_tid_120x20() {
    let mut a = app_with(
        machine(10, 0),
        machine(11, SEC / 2),
        ViewOptions {
            tree: false,
            sort: threadtop::model::SortKey::Tid,
            ..ViewOptions::default()
        },
    );
    insta::assert_snapshot!(text(&render(&mut a, 120, 20, Theme::mono())));
}

#[test]
fn filter_line_while_typing() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    for c in "worker".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    insta::assert_snapshot!(screen);
}

#[test]
fn help_screen_is_generated_from_the_key_table() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    // Tall enough for every line of the help (htop's keys made it longer than 50).
    let screen = text(&render(&mut a, 100, 91, Theme::mono()));
    for (keys, what) in threadtop::keymap::help_lines(threadtop::keymap::Mode::Normal, false) {
        assert!(screen.contains(&keys), "help lacks {keys}");
        assert!(screen.contains(what), "help lacks {what}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn folded_process_shows_a_closed_mark_and_hides_its_threads() {
    let mut a = app_with(
        machine(10, 0),
        machine(11, SEC / 2),
        ViewOptions {
            sort: threadtop::model::SortKey::Tid,
            ..ViewOptions::default()
        },
    );
    // init, bash, pool: move to the pool's row and fold it.
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(screen.contains("▸ pool"), "{screen}");
    assert!(!screen.contains("worker-0"), "{screen}");
    insta::assert_snapshot!(screen);
}

fn many_cpus_app() -> App {
    let mut cur = machine(11, 0);
    let mut prev = machine(10, 0);
    for (s, busy) in [(&mut prev, 0u64), (&mut cur, 1)] {
        s.system.cpus = (0..64)
            .map(|id| CpuSample {
                id,
                times: CpuTimes {
                    user: busy * u64::from(id),
                    idle: busy * 64,
                    ..CpuTimes::default()
                },
            })
            .collect();
    }
    app_with(prev, cur, ViewOptions::default())
}

#[test]
fn many_cpus_use_compact_cells_and_leave_room_for_the_table() {
    let mut a = many_cpus_app();
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(screen.contains("63"), "{screen}");
    assert!(screen.contains("TID"), "table still visible: {screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn tiny_terminals_say_so_and_never_panic() {
    let mut a = app();
    for (w, h) in [(1, 1), (20, 5), (29, 30), (200, 7), (0, 0)] {
        let b = render(&mut a, w, h, Theme::mono());
        if w > 10 {
            assert!(text(&b).contains("too small"), "{w}x{h}");
        }
    }
    // The smallest size that is not too small still draws the table.
    let screen = text(&render(&mut a, 30, 8, Theme::mono()));
    assert!(screen.contains("TID"), "{screen}");
}

#[test]
fn selected_row_is_highlighted_in_colour_and_in_mono() {
    let mut a = app();
    key(&mut a, KeyCode::Down);
    let sel = a.cursor;
    let table_top = text(&render(&mut a, 80, 24, Theme::mono()))
        .lines()
        .position(|l| l.trim_start().starts_with("TID"))
        .expect("table header") as u16;
    let y = table_top + 1 + (sel - a.offset) as u16;
    let colour = render(&mut a, 80, 24, Theme::colored());
    assert_eq!(colour[(0, y)].bg, Color::LightBlue);
    assert_ne!(colour[(0, y + 1)].bg, Color::LightBlue);
    let mono = render(&mut a, 80, 24, Theme::mono());
    assert!(mono[(0, y)].modifier.contains(Modifier::REVERSED));
    assert!(!mono[(0, y + 1)].modifier.contains(Modifier::REVERSED));
    // Mono uses no colour at all.
    for c in mono.content() {
        assert_eq!((c.fg, c.bg), (Color::Reset, Color::Reset));
    }
}

#[test]
fn hostile_names_render_escaped_and_never_raw() {
    let evil = snap(
        11,
        vec![p(
            9,
            1,
            b"evil\0\x1b]0;pwned\x07\0\xc2\x9b31m",
            vec![
                t(9, b"a) R 1 (\x1b[31m", b'R', SEC / 2),
                t(10, b"\xff\n\t\xe2\x80\xae", b'S', 0),
            ],
        )],
    );
    let mut a = app_with(snap(10, vec![]), evil, ViewOptions::default());
    let b = render(&mut a, 120, 20, Theme::colored());
    let screen = text(&b);
    assert!(screen.contains("a) R 1 (\\e[31m"), "{screen}");
    assert!(screen.contains("\\e]0;pwned\\x07"), "{screen}");
    assert!(screen.contains("\\u{9b}31m"), "{screen}");
    assert!(screen.contains("\\xff\\n\\t\\u{202e}"), "{screen}");
    for c in b.content() {
        assert!(
            !c.symbol()
                .chars()
                .any(|ch| ch.is_control() || ch == '\u{202e}'),
            "{:?}",
            c.symbol()
        );
    }
    // The columns after the name did not shift: the state of the hostile row is still R.
    let row = screen
        .lines()
        .find(|l| l.contains("a) R 1 ("))
        .expect("row");
    assert!(row.contains(" R "), "{row}");
}

#[test]
fn help_scrolls_on_a_small_terminal() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    let top = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(top.contains("↓↑ scroll"), "{top}");
    assert!(!top.contains("zombie: exited"), "{top}");
    for _ in 0..60 {
        key(&mut a, KeyCode::Down);
    }
    let bottom = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(bottom.contains("zombie: exited"), "{bottom}");
    key(&mut a, KeyCode::Esc);
    assert!(text(&render(&mut a, 80, 24, Theme::mono())).contains("TGID"));
}

fn with_topology(mut s: Snapshot, cpus: u32) -> Snapshot {
    s.system.topology = (0..cpus)
        .map(|id| threadtop::collect::CpuTopology {
            id,
            core: Some(id / 2),
            package: Some(id / 32),
            node: Some(0),
        })
        .collect();
    s
}

/// Selects the pool's process row (TGID 200) and opens both placement panes.
fn placement_app(cpus: u32) -> App {
    let mut a = app_with(
        with_topology(machine(10, 0), cpus),
        with_topology(machine(11, SEC / 2), cpus),
        ViewOptions::default(),
    );
    while a.selected_row().is_some_and(|r| r.tid != 200) {
        key(&mut a, KeyCode::Down);
    }
    key(&mut a, KeyCode::Char('C'));
    key(&mut a, KeyCode::Char('p'));
    a
}

#[test]
fn cpu_and_placement_panes_fit_80x24_with_2_cpus() {
    let mut a = placement_app(2);
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    // Each CPU's runnable tasks, the selected process's marked.
    let cpu0 = screen
        .lines()
        .find(|l| l.contains("cpu0"))
        .expect("cpu0 line");
    let cpu1 = screen
        .lines()
        .find(|l| l.contains("cpu1"))
        .expect("cpu1 line");
    assert!(
        cpu0.contains("worker-0*") && cpu1.contains("worker-1*"),
        "{screen}"
    );
    assert!(screen.contains("Placement of pool (200)"), "{screen}");
    assert!(screen.contains("TGID"), "table still visible: {screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn cpu_pane_goes_compact_with_64_cpus() {
    let mut a = placement_app(64);
    a.panes.set_open(Pane::Placement, false);
    let screen = text(&render(&mut a, 120, 40, Theme::mono()));
    assert!(screen.contains(" 63 "), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn selected_process_tasks_are_highlighted_on_the_cpu_pane() {
    let mut a = placement_app(2);
    let b = render(&mut a, 100, 30, Theme::colored());
    let screen = text(&b);
    let y = screen
        .lines()
        .position(|l| l.contains("cpu0"))
        .expect("cpu0") as u16;
    let x = screen
        .lines()
        .nth(y as usize)
        .and_then(|l| l.find("worker-0*"))
        .expect("worker") as u16;
    // Char index equals column here: everything before it on the line is one column wide.
    let x = screen
        .lines()
        .nth(y as usize)
        .map(|l| l[..x as usize].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(b[(x, y)].bg, Color::LightBlue, "highlighted in colour");
}

#[test]
fn placement_strip_shows_each_tick_and_the_affinity_mask() {
    let mut a = app_with(
        with_topology(machine(10, 0), 2),
        with_topology(machine(11, 0), 2),
        ViewOptions::default(),
    );
    // worker-0 moves 0 → 1 → 0 over the next ticks.
    for (at, cpu) in [(12, 1), (13, 0)] {
        let mut s = with_topology(machine(at, 0), 2);
        for t in s.processes.iter_mut().flat_map(|p| p.tasks.iter_mut()) {
            if t.tid == 201 {
                t.processor = Some(cpu);
                t.set_migrations(Some(Ok(7)));
            }
        }
        a.on_snapshot(Arc::new(s));
    }
    while a.selected_row().is_some_and(|r| r.tid != 201) {
        key(&mut a, KeyCode::Down);
    }
    key(&mut a, KeyCode::Char('p'));
    let screen = text(&render(&mut a, 100, 30, Theme::mono()));
    let row = screen
        .lines()
        .find(|l| l.contains(" worker-0 "))
        .expect("worker-0 in placement");
    // affinity 0-1, mask xx, 2 moves seen, 7 exact, strip 0 0 1 0 (oldest first)
    assert!(row.contains("0-1"), "{row}");
    assert!(row.contains("xx"), "{row}");
    assert!(row.contains("   2     7  0010"), "{row}");
}

#[test]
fn scheduling_columns() {
    let mut a = app();
    key(&mut a, KeyCode::Char('c'));
    let screen = text(&render(&mut a, 110, 24, Theme::mono()));
    for col in ["AFFINITY", "POLICY", "RTP", "WAIT%", "VOL/s", "INV/s"] {
        assert!(screen.contains(col), "{col}: {screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn affinity_picker_and_confirmation() {
    let mut a = placement_app(2);
    a.panes.set_open(Pane::Cpus, false);
    a.panes.set_open(Pane::Placement, false);
    key(&mut a, KeyCode::Down); // worker-0
    key(&mut a, KeyCode::Char('a'));
    // The fixture's tasks are not on this machine: give the picker what the runner reads
    // of a real task allowed on both CPUs.
    let tasks = a.affinity_picker().expect("picker").tasks.clone();
    a.affinity_read(&tasks, Ok((vec![0, 1], 0)));
    let picker = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(picker.contains("Set CPU affinity"), "{picker}");
    assert!(
        picker.contains("[x] CPU 0") && picker.contains("[x] CPU 1"),
        "{picker}"
    );
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    let picker = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(picker.contains("[ ] CPU 1"), "{picker}");
    insta::assert_snapshot!("affinity_picker", picker);
    key(&mut a, KeyCode::Enter);
    let confirm = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(
        confirm.contains("Let thread 201 (worker-0) run only on CPUs 0?"),
        "{confirm}"
    );
    // No: nothing happens, and the picker is gone.
    key(&mut a, KeyCode::Char('n'));
    assert!(a.affinity_picker().is_none());
    assert_eq!(a.status.as_deref(), Some("affinity unchanged"));
}

#[test]
fn signal_picker_and_confirmation() {
    let mut a = app();
    // Rows: init, bash, pool (200), its threads. Select worker-0's row.
    while a.selected_row().is_some_and(|r| r.tid != 201) {
        key(&mut a, KeyCode::Down);
    }
    key(&mut a, KeyCode::Char('S'));
    let picker = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(picker.contains("Send a signal"), "{picker}");
    assert!(
        picker.contains("Signal for thread 201 (worker-0) only:"),
        "{picker}"
    );
    for name in [
        "SIGTERM", "SIGINT", "SIGHUP", "SIGKILL", "SIGSTOP", "SIGCONT", "SIGQUIT", "SIGUSR1",
        "SIGUSR2",
    ] {
        assert!(picker.contains(name), "{name} in {picker}");
    }
    insta::assert_snapshot!("signal_picker", picker);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    let confirm = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(confirm.contains("Confirm signal"), "{confirm}");
    assert!(
        confirm.contains("Send SIGINT to thread 201 (worker-0) only?"),
        "{confirm}"
    );
    insta::assert_snapshot!("signal_confirm", confirm);
    key(&mut a, KeyCode::Esc);
    assert!(a.signal_picker().is_none());
    assert_eq!(a.status.as_deref(), Some("no signal sent"));
}

#[test]
fn share_pane_and_explain_card() {
    use std::collections::HashMap;
    use threadtop::collect::{Group, Resource, ShareReport, Shares, TaskRef};
    let mut cur = machine(11, SEC / 2);
    // The pool's threads share everything but worker-1's fd table; bash (its parent) shares
    // nothing but namespaces.
    let mut shares = HashMap::new();
    let mut tasks = Vec::new();
    for t in cur.processes.iter().flat_map(|p| p.tasks.iter()) {
        if t.tgid != 200 && t.tgid != 100 {
            continue;
        }
        let own = u64::from(t.tgid == 100) * 10;
        let files = if t.tid == 202 { 2 } else { 1 } + own;
        shares.insert(
            t.key(),
            Shares::from_fn(|r| match r {
                Resource::Files => Group::Id(files),
                r if r.is_namespace() => Group::Id(4_026_531_840),
                _ => Group::Id(1 + own),
            }),
        );
        tasks.push(TaskRef {
            key: t.key(),
            tgid: t.tgid,
            kernel: false,
            zombie: false,
        });
    }
    tasks.sort_by_key(|t| t.tgid != 200);
    cur.shares = Some(Arc::new(ShareReport {
        tgid: 200,
        tasks,
        shares,
    }));
    let mut a = app_with(machine(10, 0), cur, ViewOptions::default());
    while a.selected_row().is_some_and(|r| r.tid != 202) {
        key(&mut a, KeyCode::Down);
    }
    key(&mut a, KeyCode::Char('s'));
    key(&mut a, KeyCode::Char('e'));
    let screen = text(&render(&mut a, 100, 45, Theme::mono()));
    assert!(screen.contains("3 threads"), "{screen}");
    assert!(screen.contains("worker-1 (202)"), "{screen}");
    assert!(screen.contains("Has its own FILES"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn panes_that_do_not_fit_are_hidden_and_counted_not_squeezed() {
    let mut a = placement_app(2);
    key(&mut a, KeyCode::Char('s'));
    key(&mut a, KeyCode::Char('e'));
    let small = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(
        small.contains("pane") && small.contains("hidden: window too small"),
        "{small}"
    );
    // Every pane that is drawn shows content, not just its title.
    assert!(
        small.contains("cpu0") && small.contains("worker-0"),
        "{small}"
    );
    let big = text(&render(&mut a, 120, 70, Theme::mono()));
    assert!(!big.contains("hidden: window too small"), "{big}");
    assert!(
        big.contains("Shares:") && big.contains("task 200 of process pool"),
        "{big}"
    );
}

fn assert_ascii(screen: &str) {
    let foreign: Vec<char> = screen.chars().filter(|c| !c.is_ascii()).collect();
    assert!(foreign.is_empty(), "{foreign:?} in:\n{screen}");
}

#[test]
fn main_screen_ascii_80x24() {
    let mut a = app();
    let ascii = text(&render(&mut a, 80, 24, Theme::mono().ascii()));
    assert_ascii(&ascii);
    assert!(ascii.contains("`-") && ascii.contains("TID") && ascii.contains("CPU%v"));
    // The same screen as the Unicode one, glyph for glyph (the key hints aside: "Up" is
    // wider than "↑", so fewer may fit; a name cut with "..." keeps two cells less of
    // itself than one cut with "…").
    let unicode = text(&render(&mut a, 80, 24, Theme::mono()));
    let body = |s: &str| s.lines().take(22).map(String::from).collect::<Vec<_>>();
    let translated: Vec<String> = body(&unicode)
        .iter()
        .map(|l| match l.strip_suffix('…') {
            Some(cut) => format!("{}...", &cut[..cut.len() - 2]),
            None => l.clone(),
        })
        .map(|l| Glyphs::ASCII.text(&l))
        .collect();
    assert_eq!(body(&ascii), translated);
    insta::assert_snapshot!(ascii);
}

#[test]
fn folded_pool_and_panes_ascii_100x40() {
    let mut a = placement_app(2);
    key(&mut a, KeyCode::Char('e'));
    let ascii = text(&render(&mut a, 100, 40, Theme::mono().ascii()));
    assert_ascii(&ascii);
    assert!(ascii.contains("+ CPUs:"), "{ascii}");
    insta::assert_snapshot!(ascii);
}

#[test]
fn help_and_cpu_strip_ascii() {
    let mut a = many_cpus_app();
    let strip = text(&render(&mut a, 80, 24, Theme::mono().ascii()));
    assert_ascii(&strip);
    assert!(strip.contains("0-63"), "{strip}");
    key(&mut a, KeyCode::Char('?'));
    let help = text(&render(&mut a, 80, 24, Theme::mono().ascii()));
    assert_ascii(&help);
    assert!(help.contains("threadtop help"), "{help}");
    insta::assert_snapshot!(help);
}

#[test]
fn replay_time_bar_ascii() {
    use ratatui::widgets::Widget;
    for (playing, want) in [
        (true, "> playing 2x"),
        (false, "|| paused (2x when playing)"),
    ] {
        let info = threadtop::app::ReplayInfo {
            position: "host 03:12:05  +1m30s of 10m00s  tick 91/601".into(),
            fraction: 0.15,
            playing,
            speed: 2,
        };
        let area = ratatui::layout::Rect::new(0, 0, 100, 1);
        let mut buf = Buffer::empty(area);
        ui::timebar::TimeBar {
            info: &info,
            theme: Theme::mono().ascii(),
        }
        .render(area, &mut buf);
        let line = text(&buf);
        assert_ascii(&line);
        assert!(line.contains(want) && line.contains("[==="), "{line}");
    }
}

#[test]
fn column_editor_over_the_table_with_the_header_showing_the_change() {
    let mut a = app();
    key(&mut a, KeyCode::Char('o'));
    // Hide TID: the header above the editor loses it at once.
    key(&mut a, KeyCode::Char(' '));
    let screen = text(&render(&mut a, 100, 34, Theme::mono()));
    let header = screen
        .lines()
        .find(|l| l.contains("NAME"))
        .unwrap_or_default();
    assert!(header.trim_start().starts_with("TGID"), "{screen}");
    assert!(screen.contains("Columns: basic set"), "{screen}");
    assert!(screen.contains("[ ] TID"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn the_footer_says_a_filtered_tree_stays_a_tree() {
    let mut a = app();
    assert!(text(&render(&mut a, 100, 24, Theme::mono())).contains("· tree ·"));
    key(&mut a, KeyCode::Char('/'));
    for c in "pool".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let screen = text(&render(&mut a, 100, 24, Theme::mono()));
    assert!(
        screen.contains("· tree: matches and their ancestors ·"),
        "{screen}"
    );
}

#[test]
fn the_explain_card_of_a_pool_row_explains_the_pool() {
    let pool = |at: u64| {
        let mut tasks = vec![t(700, b"server", b'S', 0)];
        for i in 0..20u32 {
            let name: &'static [u8] =
                Box::leak(format!("worker-{i}").into_bytes().into_boxed_slice());
            tasks.push(t(701 + i, name, b'S', 0));
        }
        snap(at, vec![p(700, 1, b"server", tasks)])
    };
    let mut a = app_with(pool(10), pool(11), ViewOptions::default());
    while a
        .selected_row()
        .is_some_and(|r| r.kind != threadtop::model::RowKind::Pool)
    {
        let before = a.cursor;
        key(&mut a, KeyCode::Down);
        assert_ne!(before, a.cursor, "no pool row");
    }
    key(&mut a, KeyCode::Char('e'));
    let screen = text(&render(&mut a, 120, 40, Theme::mono()));
    assert!(
        screen.contains("worker-# ×20: a pool of threads in process server (700)"),
        "{screen}"
    );
    assert!(screen.contains("The first of them, worker-0"), "{screen}");
}

/// `snap` with scheduling events: worker-0 split 60/40 between CPUs 0 and 1 over the
/// second, worker-1 all on CPU 1; pool and io-1 (not runnable, no entry) did not run.
fn with_placement_events(mut snap: Snapshot) -> Snapshot {
    use threadtop::collect::events::{EventTick, Events, TaskEvents};
    let mut tick = EventTick {
        interval_ns: Some(SEC),
        ..EventTick::default()
    };
    for t in snap.processes.iter().flat_map(|p| p.tasks.iter()) {
        let cpu_ns = match t.tid {
            201 => vec![(0, SEC * 6 / 10), (1, SEC * 4 / 10)],
            202 => vec![(1, SEC)],
            _ => continue,
        };
        tick.tasks.insert(
            t.key(),
            TaskEvents {
                cpu_ns: Some(cpu_ns.into()),
                migrations: 40,
                ..TaskEvents::default()
            },
        );
    }
    snap.events = Events::Bpf(Arc::new(tick));
    snap
}

#[test]
fn placement_is_exact_with_events_a_strip_per_thread_by_time_share() {
    let mut a = app_with(
        with_topology(machine(10, 0), 2),
        with_placement_events(with_topology(machine(11, SEC / 2), 2)),
        ViewOptions::default(),
    );
    while a.selected_row().is_some_and(|r| r.tid != 200) {
        key(&mut a, KeyCode::Down);
    }
    key(&mut a, KeyCode::Char('p'));
    let screen = text(&render(&mut a, 120, 30, Theme::mono()));
    assert!(screen.contains("exact, from events"), "{screen}");
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name) && l.contains("0-1"))
            .unwrap_or_else(|| panic!("{name} in placement: {screen}"))
            .to_string()
    };
    // 60 % on CPU 0 and 40 % on CPU 1; then its history's tick: CPU 0, where most was.
    assert!(
        row("worker-0").contains("0000001111  0"),
        "{}",
        row("worker-0")
    );
    assert!(
        row("worker-1").contains("1111111111  1"),
        "{}",
        row("worker-1")
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn placement_says_it_is_sampled_without_events() {
    let mut a = placement_app(2);
    let screen = text(&render(&mut a, 120, 30, Theme::mono()));
    assert!(
        screen.contains("sampled, last CPU per tick") && !screen.contains("NOW"),
        "{screen}"
    );
}

/// A process `app` (100) whose `lock-0..3` wait on one futex (lock-0 runs most) and whose
/// `nap` sleeps, over one second, the waits sampled 20 times.
fn why_app() -> App {
    use threadtop::collect::SchedStat;
    use threadtop::collect::TaskKey;
    use threadtop::collect::waits::{Reason, Target, TaskSamples, WaitSamples};
    let names: [&'static [u8]; 6] = [b"app", b"lock-0", b"lock-1", b"lock-2", b"lock-3", b"nap"];
    let run_ms = [1u64, 400, 30, 30, 30, 1];
    let mk = |at: u64, scale: u64| {
        let tasks = (0..6)
            .map(|i| t(100 + i as u32, names[i], b'S', 0))
            .collect::<Vec<_>>();
        let mut s = snap(at, vec![p(100, 1, b"app\0", tasks)]);
        for (task, r) in s.processes[0].tasks.iter_mut().zip(run_ms) {
            task.schedstat = Ok(SchedStat {
                run_ns: r * 1_000_000 * scale + 1_000_000,
                wait_ns: 50_000_000 * scale,
                timeslices: scale + 1,
            });
        }
        s
    };
    let sample = |runnable: u32, reason: Reason, off: u32, target: Option<Target>| {
        let mut s = TaskSamples {
            tgid: 100,
            runnable,
            samples: runnable + off,
            ..TaskSamples::default()
        };
        s.off[reason as usize] = off;
        if let Some(t) = target {
            for _ in 0..off {
                s.add_target(t.clone());
            }
        }
        s
    };
    let key = |tid: u32| TaskKey {
        tid,
        start_ticks: u64::from(tid),
    };
    let futex = Some(Target::Futex(0x7f2a_5c00_0b28));
    let mut tasks = std::collections::HashMap::new();
    tasks.insert(key(100), sample(0, Reason::Sleep, 20, None));
    tasks.insert(key(101), sample(10, Reason::Lock, 10, futex.clone()));
    for tid in 102..=104 {
        tasks.insert(key(tid), sample(2, Reason::Lock, 18, futex.clone()));
    }
    tasks.insert(key(105), sample(0, Reason::Sleep, 20, None));
    let a = mk(10, 0);
    let mut b = mk(11, 1);
    b.waits = Some(Arc::new(WaitSamples {
        tasks,
        rounds: 20,
        period_ns: 50_000_000,
    }));
    app_with(a, b, ViewOptions::default())
}

#[test]
fn why_pane_80x24_shows_bars_the_lock_group_and_the_verdicts() {
    let mut a = why_app();
    key(&mut a, KeyCode::Char('w'));
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(
        screen.contains("lock futex 0x7f2a5c000b28: 4 thread(s) wait"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn the_pane_opened_last_is_shown_when_the_window_holds_only_one() {
    // At 80x24 the placement pane and the why pane do not fit together: `w` pressed with
    // the placement pane open showed nothing but "1 pane hidden" (the why pane is lower
    // in the stack, and the lowest went first).
    let mut a = why_app();
    key(&mut a, KeyCode::Char('p'));
    key(&mut a, KeyCode::Char('w'));
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(screen.contains("why: app (100)"), "{screen}");
    assert!(screen.contains("1 pane hidden"), "{screen}");
    // And the other way round: the key pressed last wins.
    key(&mut a, KeyCode::Char('w'));
    key(&mut a, KeyCode::Char('w'));
    key(&mut a, KeyCode::Char('p'));
    key(&mut a, KeyCode::Char('p'));
    let screen = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(!screen.contains("why: app (100)"), "{screen}");
    assert!(screen.contains("1 pane hidden"), "{screen}");
}

#[test]
fn why_pane_ascii_80x24_wraps_the_verdicts_and_draws_with_ascii_only() {
    let mut a = why_app();
    key(&mut a, KeyCode::Char('w'));
    let screen = text(&render(&mut a, 80, 24, Theme::mono().ascii()));
    assert_ascii(&screen);
    // The verdict is read whole: wrapped under itself, not cut at the pane's edge.
    assert!(
        screen.contains("lock convoy: 4 of 6 wait on one"),
        "{screen}"
    );
    assert!(
        screen.contains("(0x7f2a5c000b28); lock-0 holds the CPU"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

/// The header's task states keep their columns when a count gains or loses digits: at
/// 10,000 waking threads the runnable count went 4, 1083, 654 from one refresh to the
/// next, and every state after it moved, so the whole line was sent again each time.
#[test]
fn task_state_counts_keep_their_columns_as_they_change() {
    let pool = |running: u32| {
        let tasks = (0..12u32)
            .map(|i| {
                let state = if i < running { b'R' } else { b'S' };
                t(500 + i, b"worker", state, 0)
            })
            .collect();
        snap(10, vec![p(500, 1, b"pool", tasks)])
    };
    let tasks_line = |running: u32| {
        let mut app = app_with(pool(running), pool(running), ViewOptions::default());
        let screen = text(&render(&mut app, 160, 30, Theme::mono()));
        screen
            .lines()
            .find(|l| l.starts_with("Tasks "))
            .map(str::to_string)
            .expect("a Tasks line")
    };
    let (one, eleven) = (tasks_line(1), tasks_line(11));
    assert!(one.contains(" 1 R runnable, 11 S sleeping,"), "{one}");
    assert!(eleven.contains("11 R runnable,  1 S sleeping,"), "{eleven}");
    for word in ["sleeping", "idle", "disk", "stopped", "zombie"] {
        assert_eq!(
            one.find(word),
            eleven.find(word),
            "{word}:\n{one}\n{eleven}"
        );
    }
}
