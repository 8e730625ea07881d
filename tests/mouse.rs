//! The mouse, and pane focus: events fed to the app on a layout drawn at a known size,
//! asserting on selection, sort, folding, focus and scrolling; a focused pane rendered.

mod fixture;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use threadtop::app::App;
use threadtop::keymap::Mode;
use threadtop::model::{RowKind, SortKey, ViewOptions};
use threadtop::ui::Pane;
use threadtop::ui::theme::Theme;

fn started() -> App {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(machine(10, 0)));
    app.on_snapshot(Arc::new(machine(11, SEC / 2)));
    app
}

/// Draws `app` at w x h as the live loop does (the app's one draw path, which keeps the
/// frame's layout for the mouse) and returns the screen's text.
fn draw(app: &mut App, w: u16, h: u16, theme: Theme) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| app.draw(f, theme)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn mouse(app: &mut App, kind: MouseEventKind, x: u16, y: u16) {
    mouse_at(app, kind, x, y, Instant::now());
}

fn mouse_at(app: &mut App, kind: MouseEventKind, x: u16, y: u16, now: Instant) {
    app.handle_mouse_at(
        &MouseEvent {
            kind,
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        },
        now,
    );
}

const CLICK: MouseEventKind = MouseEventKind::Down(MouseButton::Left);

fn key(app: &mut App, code: KeyCode) {
    let fx = app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    threadtop::app::runner::apply(app, &fx);
    app.settle();
}

/// (x, y) of the first cell of `needle` on the screen.
fn find(screen: &str, needle: &str) -> (u16, u16) {
    for (y, line) in screen.lines().enumerate() {
        if let Some(at) = line.find(needle) {
            return (line[..at].chars().count() as u16, y as u16);
        }
    }
    panic!("{needle:?} not on screen:\n{screen}");
}

fn selected(app: &App) -> Option<(u32, RowKind)> {
    app.selected_row().map(|r| (r.tid, r.kind))
}

#[test]
fn a_click_selects_the_row_under_it() {
    let mut app = started();
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (_, y) = find(&screen, "worker-1");
    mouse(&mut app, CLICK, 20, y);
    assert_eq!(selected(&app), Some((202, RowKind::Thread)));
    // Releases and motion do nothing; a click below the last row does nothing.
    mouse(&mut app, MouseEventKind::Up(MouseButton::Left), 20, y - 2);
    mouse(&mut app, MouseEventKind::Moved, 20, y - 2);
    mouse(&mut app, CLICK, 20, 20);
    assert_eq!(selected(&app), Some((202, RowKind::Thread)));
    // The header and footer are not rows.
    mouse(&mut app, CLICK, 20, 0);
    mouse(&mut app, CLICK, 20, 23);
    assert_eq!(selected(&app), Some((202, RowKind::Thread)));
}

#[test]
fn a_click_selects_what_was_drawn_even_if_rows_moved_since() {
    let mut app = started();
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (_, y) = find(&screen, "io-1");
    // The view changes without a redraw (a snapshot in the same batch as the click).
    app.opts.reverse = true;
    app.rebuild();
    mouse(&mut app, CLICK, 20, y);
    assert_eq!(selected(&app), Some((203, RowKind::Thread)));
}

#[test]
fn clicking_a_column_header_sorts_and_again_reverses() {
    let mut app = started();
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (x, y) = find(&screen, "TID ");
    mouse(&mut app, CLICK, x, y);
    assert_eq!((app.opts.sort, app.opts.reverse), (SortKey::Tid, false));
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (x, y) = find(&screen, "TID");
    mouse(&mut app, CLICK, x + 1, y);
    assert_eq!((app.opts.sort, app.opts.reverse), (SortKey::Tid, true));
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (x, y) = find(&screen, "NAME");
    mouse(&mut app, CLICK, x + 2, y);
    assert_eq!((app.opts.sort, app.opts.reverse), (SortKey::Name, false));
    // USER has no sort order: nothing changes.
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (x, y) = find(&screen, "USER");
    mouse(&mut app, CLICK, x, y);
    assert_eq!((app.opts.sort, app.opts.reverse), (SortKey::Name, false));
}

#[test]
fn the_fold_mark_and_a_double_click_fold_and_unfold() {
    let mut app = started();
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let all = app.rows.len();
    let (x, y) = find(&screen, "▾ pool");
    mouse(&mut app, CLICK, x, y);
    assert_eq!(selected(&app), Some((200, RowKind::Process)));
    assert!(app.rows.len() < all, "folded");
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (_, y) = find(&screen, "▸ pool");
    // A double click on the name (not the mark) unfolds it; two slow clicks do not.
    let t = Instant::now();
    mouse_at(&mut app, CLICK, 70, y, t);
    mouse_at(&mut app, CLICK, 70, y, t + Duration::from_secs(1));
    assert!(app.rows.len() < all, "slow clicks are two clicks");
    mouse_at(&mut app, CLICK, 70, y, t + Duration::from_millis(1200));
    assert_eq!(app.rows.len(), all, "a double click unfolds");
}

#[test]
fn the_wheel_scrolls_the_table_and_keeps_the_selection_on_screen() {
    let mut app = started();
    // 14 lines: three of header, two of footer, the column header: 8 rows of 10.
    draw(&mut app, 80, 14, Theme::mono());
    assert_eq!(app.page_height, 8);
    assert_eq!((app.offset, app.cursor), (0, 0));
    mouse(&mut app, MouseEventKind::ScrollDown, 20, 6);
    assert_eq!(app.offset, 2, "3 rows, clamped to the last page");
    assert_eq!(
        app.cursor, 2,
        "the selection is dragged along, onto the screen"
    );
    draw(&mut app, 80, 14, Theme::mono());
    mouse(&mut app, MouseEventKind::ScrollUp, 20, 6);
    assert_eq!(app.offset, 0);
    assert_eq!(app.cursor, 2, "still on screen: the selection stays");
    // The wheel over the header does nothing.
    mouse(&mut app, MouseEventKind::ScrollDown, 20, 0);
    assert_eq!(app.offset, 0);
}

#[test]
fn tab_cycles_focus_and_keys_and_the_wheel_scroll_the_focused_pane() {
    let mut app = started();
    key(&mut app, KeyCode::Char('C'));
    key(&mut app, KeyCode::Char('p'));
    // A row of process 200 (4 threads): the placement pane lists them.
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (_, y) = find(&screen, "worker-0");
    mouse(&mut app, CLICK, 20, y);
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let frame = app.frame.clone().expect("drawn");
    let placement = frame.layout.pane(Pane::Placement).expect("placement shown");
    assert!(placement.max_scroll > 0, "{screen}");
    assert_eq!(app.focus, None);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Some(Pane::Cpus));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Some(Pane::Placement));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, None, "round to the table");
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Some(Pane::Placement));
    let screen = draw(&mut app, 80, 24, Theme::mono());
    assert!(screen.contains("[focused]"), "{screen}");
    // Down scrolls the pane, not the table; it stops at the end.
    let cursor = app.cursor;
    key(&mut app, KeyCode::Down);
    assert_eq!(app.panes.scroll(Pane::Placement), 1);
    assert_eq!(app.cursor, cursor);
    key(&mut app, KeyCode::End);
    assert_eq!(app.panes.scroll(Pane::Placement), placement.max_scroll);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.panes.scroll(Pane::Placement), 0);
    // The wheel over a pane scrolls it, clamped.
    let r = placement.rect;
    mouse(&mut app, MouseEventKind::ScrollDown, r.x + 5, r.y + 2);
    assert_eq!(
        app.panes.scroll(Pane::Placement),
        placement.max_scroll.min(3)
    );
    // A click in the CPU pane focuses it; one in the table focuses the table.
    let cpus = frame.layout.pane(Pane::Cpus).expect("cpus shown").rect;
    mouse(&mut app, CLICK, cpus.x + 3, cpus.y + 1);
    assert_eq!(app.focus, Some(Pane::Cpus));
    mouse(&mut app, CLICK, 3, frame.layout.table.y + 1);
    assert_eq!(app.focus, None);
    // Closing the focused pane gives the focus back to the table.
    mouse(&mut app, CLICK, r.x + 3, r.y + 1);
    assert_eq!(app.focus, Some(Pane::Placement));
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.focus, None);
    key(&mut app, KeyCode::Down);
    assert_ne!(app.cursor, cursor, "the arrows move the selection again");
}

#[test]
fn a_focused_pane_left_out_for_lack_of_room_gives_the_focus_back() {
    let mut app = started();
    key(&mut app, KeyCode::Char('p'));
    draw(&mut app, 80, 24, Theme::mono());
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Some(Pane::Placement));
    draw(&mut app, 80, 12, Theme::mono());
    assert!(
        app.frame
            .as_ref()
            .is_some_and(|f| f.layout.panes.is_empty())
    );
    assert_eq!(app.focus, None);
}

#[test]
fn help_scrolls_with_the_wheel_and_clicks_outside_a_picker_do_nothing() {
    let mut app = started();
    key(&mut app, KeyCode::Char('?'));
    draw(&mut app, 80, 24, Theme::mono());
    mouse(&mut app, MouseEventKind::ScrollDown, 10, 10);
    assert_eq!(app.overlay, threadtop::app::Overlay::Help { scroll: 3 });
    mouse(&mut app, CLICK, 10, 10);
    assert_eq!(app.mode(), Mode::Help);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.mode(), Mode::Signal);
    let before = (app.cursor, app.opts.sort, app.offset);
    let screen = draw(&mut app, 80, 24, Theme::mono());
    // The table's header and the picker's own header lines are not entries.
    let (x, y) = find(&screen, "TID");
    let (hx, hy) = find(&screen, "Signal for");
    for (x, y) in [(x, y), (hx, hy), (0, 12)] {
        mouse(&mut app, CLICK, x, y);
    }
    assert_eq!(app.mode(), Mode::Signal);
    assert_eq!(app.signal_picker().map(|p| p.cursor), Some(0));
    assert_eq!((app.cursor, app.opts.sort, app.offset), before);
}

#[test]
fn in_the_signal_picker_a_click_selects_a_double_click_asks_and_the_wheel_moves() {
    let mut app = started();
    key(&mut app, KeyCode::Char('k'));
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let cursor = |app: &App| app.signal_picker().map(|p| p.cursor);
    let (x, y) = find(&screen, "SIGKILL");
    let t0 = Instant::now();
    mouse_at(&mut app, CLICK, x, y, t0);
    assert_eq!(cursor(&app), Some(3), "SIGKILL is the fourth entry");
    assert!(draw(&mut app, 80, 24, Theme::mono()).contains("SIGKILL"));
    mouse(&mut app, MouseEventKind::ScrollDown, x, y);
    assert_eq!(cursor(&app), Some(4));
    mouse(&mut app, MouseEventKind::ScrollUp, x, y);
    assert_eq!(cursor(&app), Some(3));
    assert_eq!(app.mode(), Mode::Signal, "one click only selects");
    // A second click on the same entry, soon after: the question, nothing sent yet.
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (x, y) = find(&screen, "SIGKILL");
    mouse_at(&mut app, CLICK, x, y, t0 + Duration::from_millis(200));
    assert_eq!(app.mode(), Mode::Confirm);
    let screen = draw(&mut app, 80, 24, Theme::mono());
    assert!(screen.contains("SIGKILL"), "{screen}");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn a_list_scrolled_to_its_cursor_is_clicked_where_it_is_drawn() {
    // A short screen: the signal list scrolls to keep the cursor in view.
    let mut app = started();
    key(&mut app, KeyCode::Char('k'));
    for _ in 0..8 {
        key(&mut app, KeyCode::Down);
    }
    let screen = draw(&mut app, 80, 12, Theme::mono());
    assert!(
        !screen.contains("SIGTERM"),
        "scrolled past the first: {screen}"
    );
    // The entry above the cursor (the cursor is the last shown).
    let (x, y) = find(&screen, "SIGQUIT");
    mouse(&mut app, CLICK, x, y);
    let p = app.signal_picker().expect("picker");
    assert_eq!(
        threadtop::act::signal::SIGNALS[p.cursor].full_name(),
        "SIGQUIT",
        "{screen}"
    );
}

#[test]
fn in_the_affinity_picker_a_click_toggles_a_cpu() {
    let mut app = started();
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.mode(), Mode::Affinity);
    // The fixture's tasks are not on this machine: what the runner reads of a real one.
    let tasks = app.affinity_picker().expect("picker").tasks.clone();
    app.affinity_read(&tasks, Ok((vec![0, 1], 0)));
    let all = app.affinity_picker().map(|p| p.chosen.len());
    let screen = draw(&mut app, 80, 24, Theme::mono());
    let (x, y) = find(&screen, "CPU 1");
    mouse(&mut app, CLICK, x, y);
    let p = app.affinity_picker().expect("picker");
    assert_eq!(p.cursor, 1);
    assert!(!p.chosen.contains(&1), "CPU 1 taken out");
    assert_eq!(Some(p.chosen.len() + 1), all);
    let screen = draw(&mut app, 80, 24, Theme::mono());
    assert!(screen.contains("[ ] CPU 1"), "{screen}");
    mouse(&mut app, CLICK, x, y);
    assert!(app.affinity_picker().is_some_and(|p| p.chosen.contains(&1)));
    mouse(&mut app, MouseEventKind::ScrollUp, x, y);
    assert_eq!(app.affinity_picker().map(|p| p.cursor), Some(0));
}

#[test]
fn clicks_on_a_tiny_screen_or_before_a_draw_do_nothing() {
    let mut app = started();
    mouse(&mut app, CLICK, 10, 5);
    assert_eq!(app.cursor, 0);
    draw(&mut app, 20, 5, Theme::mono());
    mouse(&mut app, CLICK, 10, 4);
    mouse(&mut app, MouseEventKind::ScrollDown, 10, 4);
    assert_eq!((app.cursor, app.offset), (0, 0));
}

#[test]
fn a_focused_pane_is_marked_without_colour() {
    let mut app = started();
    key(&mut app, KeyCode::Char('e'));
    draw(&mut app, 80, 24, Theme::mono());
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!(draw(&mut app, 80, 24, Theme::mono()));
    insta::assert_snapshot!(
        "a_focused_pane_is_marked_without_colour_ascii",
        draw(&mut app, 80, 24, Theme::mono().ascii())
    );
}

#[test]
fn clicks_follow_the_time_bar_and_the_panes_as_drawn() {
    let mut app = started();
    // A replay's time bar pushes everything down a line; open panes shorten the table.
    app.replay = Some(threadtop::app::ReplayInfo {
        position: "REPLAY host 10:00:00".into(),
        fraction: 0.5,
        playing: false,
        speed: 1,
    });
    key(&mut app, KeyCode::Char('C'));
    let screen = draw(&mut app, 80, 24, Theme::mono());
    assert!(
        screen.lines().next().is_some_and(|l| l.contains("REPLAY")),
        "{screen}"
    );
    let (_, y) = find(&screen, "io-1");
    mouse(&mut app, CLICK, 30, y);
    assert_eq!(selected(&app), Some((203, RowKind::Thread)));
    let (x, y) = find(&screen, "CPU%");
    mouse(&mut app, CLICK, x, y);
    assert_eq!((app.opts.sort, app.opts.reverse), (SortKey::Cpu, true));
    let (_, y) = find(&screen, "CPUs: who is runnable");
    mouse(&mut app, CLICK, 30, y + 1);
    assert_eq!(app.focus, Some(Pane::Cpus));
}

#[test]
fn the_wheel_walks_the_column_editor_list() {
    let mut app = started();
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(app.mode(), Mode::Columns);
    draw(&mut app, 100, 30, Theme::mono());
    let cursor = |app: &App| app.column_editor().as_ref().map(|e| e.cursor);
    assert_eq!(cursor(&app), Some(0));
    mouse(&mut app, MouseEventKind::ScrollDown, 50, 10);
    mouse(&mut app, MouseEventKind::ScrollDown, 50, 10);
    assert_eq!(cursor(&app), Some(2));
    mouse(&mut app, MouseEventKind::ScrollUp, 50, 10);
    assert_eq!(cursor(&app), Some(1));
    // A click changes nothing: the editor answers keys.
    mouse(&mut app, CLICK, 50, 10);
    assert_eq!(cursor(&app), Some(1));
    assert_eq!(app.mode(), Mode::Columns);
}
