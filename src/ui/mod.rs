//! Drawing. One widget per pane, each borrowing only what it draws; no state lives here.
//!
//! ```text
//! ┌──────────────────────────────────────────────┐
//! │ header: CPU bars, tasks by state, load, mem  │
//! ├──────────────────────────────────────────────┤
//! │ TID TGID USER S CPU% CPU … NAME              │
//! │ tree table (only the visible rows are drawn) │
//! ├──────────────────────────────────────────────┤
//! │ footer: view settings / filter line          │
//! │ footer: keys that matter now                 │
//! └──────────────────────────────────────────────┘
//! ```
//! The help screen covers the table when open.

pub mod footer;
pub mod format;
pub mod header;
pub mod help;
pub mod theme;
pub mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::keymap::Mode;
use footer::FooterPane;
use header::HeaderPane;
use help::HelpPane;
use theme::Theme;
use tree::TreePane;

/// Below this the panes cannot say anything useful.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

struct Areas {
    header: Rect,
    table: Rect,
    footer: Rect,
}

fn areas(app: &App, area: Rect, theme: Theme) -> Areas {
    let header = HeaderPane {
        model: app.model.as_ref(),
        refresh_interval: app.refresh_interval,
        theme,
    };
    // Keep at least a few table rows however many CPUs the header wants to show.
    let header_h = header.height(area.width).min(area.height.saturating_sub(6));
    let [header, table, footer] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    Areas {
        header,
        table,
        footer,
    }
}

/// Table rows that fit at this screen size: the app scrolls by it.
pub fn page_height(app: &App, area: Rect) -> usize {
    tree::page_height(areas(app, area, Theme::mono()).table.height)
}

pub fn draw(frame: &mut Frame, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(
            Paragraph::new(format!(
                "terminal too small: {}x{}, threadtop needs {MIN_WIDTH}x{MIN_HEIGHT}",
                area.width, area.height
            ))
            .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let a = areas(app, area, theme);
    frame.render_widget(
        HeaderPane {
            model: app.model.as_ref(),
            refresh_interval: app.refresh_interval,
            theme,
        },
        a.header,
    );
    if app.mode == Mode::Help {
        frame.render_widget(
            HelpPane {
                theme,
                scroll: app.help_scroll,
            },
            a.table,
        );
    } else {
        frame.render_widget(
            TreePane {
                rows: &app.rows,
                offset: app.offset,
                cursor: app.cursor,
                sort: app.opts.sort,
                reverse: app.opts.reverse,
                theme,
            },
            a.table,
        );
    }
    frame.render_widget(
        FooterPane {
            mode: app.mode,
            opts: &app.opts,
            filter_text: &app.filter_text,
            rows: app.rows.len(),
            following: app.follow.map(|f| f.key.tid),
            status: app.status.as_deref(),
            theme,
        },
        a.footer,
    );
}
