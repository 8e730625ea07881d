//! The table drawn straight into the buffer is, cell for cell (symbol, colours,
//! modifiers, and the cells left alone), what ratatui's `Table` draws from the same rows:
//! over every width from 1 to 230, heights from 1 to 60, both column sets and all columns,
//! every sort key both ways, cursors on and off screen, panes past the buffer's edge, the
//! themes, and rows whose text overflows, is not ASCII, is tagged or unreadable.

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use fixture::*;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;
use threadtop::app::App;
use threadtop::collect::Snapshot;
use threadtop::model::columns::{Column, ColumnLayout};
use threadtop::model::{Row, RowKind, SortKey, ViewOptions};
use threadtop::palette::Palette;
use threadtop::ui::theme::Theme;
use threadtop::ui::tree::TreePane;

fn rows_of(prev: Snapshot, cur: Snapshot, opts: ViewOptions) -> Vec<Row> {
    let mut app = App::new(opts, Duration::from_secs(1));
    app.on_snapshot(Arc::new(prev));
    app.on_snapshot(Arc::new(cur));
    app.rows.clone()
}

/// The fixture machine's rows, in the tree and flat, then the same rows again with the
/// text a hostile or busy machine gives them.
fn rows() -> Vec<Row> {
    let mut out = rows_of(machine(10, 0), machine(11, SEC / 2), ViewOptions::default());
    out.extend(rows_of(
        machine(10, 0),
        machine(11, SEC / 2),
        ViewOptions {
            tree: false,
            ..ViewOptions::default()
        },
    ));
    assert!(
        out.iter().any(|r| r.kind == RowKind::Thread) && out.iter().any(|r| r.kernel),
        "the fixture has threads and kernel threads"
    );
    let names = [
        "数据库写线程",
        "e\u{301}cole-worker",
        "🦀 crab pool",
        "a-name-far-longer-than-any-column-could-ever-hold-so-it-is-cut-with-an-ellipsis",
        "",
        "tab\\tescaped",
        "\u{200b}",
    ];
    let plain = out.clone();
    for (i, base) in plain.iter().enumerate() {
        let mut r = base.clone();
        r.name = names[i % names.len()].to_string();
        r.command = if i % 2 == 0 {
            format!("/usr/bin/{} --flag=値 {}", r.name, "x".repeat(i * 7))
        } else {
            String::new()
        };
        r.user = ["root", "ユーザー", "a_very_long_user_name_indeed", ""][i % 4].to_string();
        r.tid = [u32::MAX, 7, 123_456_789, 0][i % 4];
        r.cpu_percent = [Some(12_345.678), None, Some(0.0), Some(99.95)][i % 4];
        r.switches_per_sec = [Some(1e12), Some(3.5), None, Some(0.0)][i % 4];
        r.affinity = [None, Some("0-3,8,10-63,65"), Some("0"), None][i % 4].map(String::from);
        r.cgroup = [
            None,
            Some(Arc::from("system.slice/very-long-unit-name.service")),
            Some(Arc::from("ユーザー.slice")),
            Some(Arc::from("")),
        ][i % 4]
            .clone();
        r.why = [
            None,
            Some(Arc::from("waits on CPU 73 %")),
            Some(Arc::from("→ futex")),
            None,
        ][i % 4]
            .clone();
        r.tagged = i % 3 == 0;
        r.unreadable = i % 5 == 1;
        r.folded = i % 2 == 1;
        r.foldable = i % 3 != 2;
        if i % 4 == 2 {
            r.kind = RowKind::Pool;
            r.threads = 20;
        }
        if i % 7 == 3 {
            r.kind = RowKind::Cgroup;
        }
        out.push(r);
    }
    out
}

fn themes() -> Vec<Theme> {
    let mut out = vec![
        Theme::mono(),
        Theme::mono().ascii(),
        Theme::colored(),
        Theme::colored().ascii(),
    ];
    for name in ["light", "high-contrast"] {
        let palette = Palette::builtin(name).expect("a built-in theme");
        out.push(Theme::colored().with_palette(palette));
    }
    out
}

/// A buffer wider and taller than the pane (or, `clipped`, ending inside it), every cell
/// marked, so that a cell one path writes and the other leaves alone shows.
fn canvas(pane: Rect, clipped: bool) -> Buffer {
    let outer = if clipped {
        Rect::new(
            0,
            0,
            pane.right().saturating_sub(7),
            pane.bottom().saturating_sub(3),
        )
    } else {
        Rect::new(0, 0, pane.right() + 3, pane.bottom() + 2)
    };
    let mut mark = Cell::new("·");
    mark.set_style(
        Style::new()
            .fg(Color::Magenta)
            .bg(Color::Indexed(52))
            .add_modifier(Modifier::UNDERLINED),
    );
    Buffer::filled(outer, mark)
}

struct Case<'a> {
    rows: &'a [Row],
    columns: &'a [Column],
    sort: SortKey,
    reverse: bool,
    theme: Theme,
    pane: Rect,
    /// The buffer ends inside the pane (a pane laid out past the screen's edge).
    clipped: bool,
    offset: usize,
    cursor: usize,
}

fn pane<'a>(c: &Case<'a>) -> TreePane<'a> {
    TreePane {
        rows: c.rows,
        offset: c.offset,
        cursor: c.cursor,
        sort: c.sort,
        reverse: c.reverse,
        columns: c.columns,
        theme: c.theme,
    }
}

/// Draws the case both ways; the description of the case where they differ.
fn differs(c: &Case) -> Option<String> {
    let mut direct = canvas(c.pane, c.clipped);
    pane(c).render(c.pane, &mut direct);
    let mut table = canvas(c.pane, c.clipped);
    pane(c).render_through_table(c.pane, &mut table);
    if direct == table {
        return None;
    }
    let at = direct
        .content
        .iter()
        .zip(&table.content)
        .position(|(a, b)| a != b)
        .map(|i| direct.pos_of(i));
    Some(format!(
        "pane {:?}, offset {}, cursor {}, sort {:?}{}, {} columns {:?}: first different cell {at:?}\n direct {:?}\n table  {:?}",
        c.pane,
        c.offset,
        c.cursor,
        c.sort,
        if c.reverse { " reversed" } else { "" },
        c.columns.len(),
        c.columns,
        at.map(|(x, y)| direct[(x, y)].clone()),
        at.map(|(x, y)| table[(x, y)].clone()),
    ))
}

#[test]
fn every_width_draws_as_the_table_does() {
    let rows = rows();
    let layout = ColumnLayout::default();
    let sets: [&[Column]; 3] = [&layout.basic, &layout.scheduling, &Column::ALL];
    let themes = themes();
    let mut checked = 0;
    for width in 1..=230u16 {
        for (s, columns) in sets.iter().enumerate() {
            let i = usize::from(width) + s;
            let c = Case {
                rows: &rows,
                columns,
                sort: Column::SORTABLE[i % Column::SORTABLE.len()],
                reverse: i % 3 == 0,
                theme: themes[i % themes.len()],
                pane: Rect::new((i % 4) as u16, (i % 3) as u16, width, [1, 2, 24, 60][i % 4]),
                clipped: i % 5 == 0,
                offset: [0, 3, rows.len() - 2, rows.len() + 5][i % 4],
                cursor: [usize::MAX, 1, 4, 30][(i / 4) % 4],
            };
            if let Some(why) = differs(&c) {
                panic!("{why}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 230 * 3);
}

#[test]
fn every_sort_theme_and_cursor_draws_as_the_table_does() {
    let rows = rows();
    let layout = ColumnLayout::default();
    let some = [Column::Tid, Column::User, Column::Cgroup, Column::Why];
    let sets: [&[Column]; 5] = [&layout.basic, &layout.scheduling, &Column::ALL, &some, &[]];
    let mut sorts = Column::SORTABLE.to_vec();
    sorts.push(SortKey::Name);
    let mut checked = 0;
    for theme in themes() {
        for sort in &sorts {
            for (s, columns) in sets.iter().enumerate() {
                for (w, width) in [40u16, 80, 132, 200].into_iter().enumerate() {
                    let c = Case {
                        rows: &rows,
                        columns,
                        sort: *sort,
                        reverse: (s + w) % 2 == 1,
                        theme,
                        pane: Rect::new(1, 1, width, 30),
                        clipped: w == 3 && s == 0,
                        offset: w * 5,
                        cursor: w * 5 + s,
                    };
                    if let Some(why) = differs(&c) {
                        panic!("{why}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 6 * sorts.len() * 5 * 4);
}

/// The direct path is the one taken at the widths people use (else this file would
/// compare the table with itself): the default columns at 80 and more, the scheduling
/// set from 120.
#[test]
fn the_direct_path_draws_at_common_widths() {
    use threadtop::ui::tree::draws_directly;
    let layout = ColumnLayout::default();
    for width in [80u16, 120, 200] {
        assert!(
            draws_directly(&layout.basic, SortKey::Cpu, width),
            "{width}"
        );
    }
    for width in [120u16, 200] {
        assert!(
            draws_directly(&layout.scheduling, SortKey::Cpu, width),
            "{width}"
        );
    }
    assert!(!draws_directly(&Column::ALL, SortKey::Cpu, 20));
}
