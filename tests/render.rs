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
use threadtop::ui::{self, theme::Theme};

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
    app.set_page_height(ui::page_height(app, ratatui::layout::Rect::new(0, 0, w, h)));
    term.draw(|f| ui::draw(f, app, theme)).expect("draw");
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
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
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
    let screen = text(&render(&mut a, 100, 50, Theme::mono()));
    for (keys, what) in threadtop::keymap::help_lines(threadtop::keymap::Mode::Normal) {
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

#[test]
fn many_cpus_use_compact_cells_and_leave_room_for_the_table() {
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
    let mut a = app_with(prev, cur, ViewOptions::default());
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
    let colour = render(&mut a, 80, 24, Theme { color: true });
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
    let b = render(&mut a, 120, 20, Theme { color: true });
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
    for _ in 0..10 {
        key(&mut a, KeyCode::Down);
    }
    let bottom = text(&render(&mut a, 80, 24, Theme::mono()));
    assert!(bottom.contains("zombie: exited"), "{bottom}");
    key(&mut a, KeyCode::Esc);
    assert!(text(&render(&mut a, 80, 24, Theme::mono())).contains("TGID"));
}
