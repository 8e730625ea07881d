//! Drawing. One widget per pane, each borrowing only what it draws; no state lives here.
//!
//! ```text
//! ┌──────────────────────────────────────────────┐
//! │ header: CPU bars, tasks by state, load, mem  │
//! ├──────────────────────────────────────────────┤
//! │ TID TGID USER S CPU% CPU … NAME              │
//! │ tree table (only the visible rows are drawn) │
//! ├──────────────────────────────────────────────┤
//! │ CPU pane (C): who is runnable on each CPU    │
//! ├──────────────────────────────────────────────┤
//! │ placement pane (p): the selected process's   │
//! │ threads, CPU history strips, affinity masks  │
//! ├──────────────────────────────────────────────┤
//! │ footer: view settings / filter line          │
//! │ footer: keys that matter now                 │
//! └──────────────────────────────────────────────┘
//! ```
//! The help screen covers the table when open; the affinity picker is drawn over it.

pub mod affinity;
pub mod cpus;
pub mod footer;
pub mod format;
pub mod header;
pub mod help;
pub mod placement;
pub mod theme;
pub mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::keymap::Mode;
use affinity::AffinityPane;
use cpus::CpusPane;
use footer::FooterPane;
use header::HeaderPane;
use help::HelpPane;
use placement::PlacementPane;
use theme::Theme;
use tree::TreePane;

/// Below this the panes cannot say anything useful.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

struct Areas {
    header: Rect,
    table: Rect,
    cpus: Option<Rect>,
    placement: Option<Rect>,
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
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    // The panes below the table take what they need, but never more than 60 % of the body
    // together, so the table keeps at least a few rows.
    let budget = body.height * 3 / 5;
    let selected_tgid = app.selected_row().map(|r| r.tgid);
    let mut want_cpus = 0;
    let mut want_place = 0;
    if let Some(model) = &app.model {
        if app.show_cpus {
            want_cpus = CpusPane {
                model,
                selected_tgid,
                theme,
            }
            .height(area.width);
        }
        if app.show_placement {
            want_place = PlacementPane {
                model,
                selected_tgid,
                theme,
            }
            .height();
        }
    }
    let (cpus_h, place_h) = match (want_cpus, want_place) {
        (0, p) => (0, p.min(budget)),
        (c, 0) => (c.min(budget), 0),
        (c, p) => {
            let c = c.min(budget / 2).max(budget.saturating_sub(p)).min(c);
            (c, p.min(budget.saturating_sub(c)))
        }
    };
    let [table, cpus, placement] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(cpus_h),
        Constraint::Length(place_h),
    ])
    .areas(body);
    Areas {
        header,
        table,
        cpus: (cpus_h > 0).then_some(cpus),
        placement: (place_h > 0).then_some(placement),
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
                columns: app.columns,
                theme,
            },
            a.table,
        );
    }
    let selected_tgid = app.selected_row().map(|r| r.tgid);
    if let Some(model) = &app.model {
        if let Some(r) = a.cpus {
            frame.render_widget(
                CpusPane {
                    model,
                    selected_tgid,
                    theme,
                },
                r,
            );
        }
        if let Some(r) = a.placement {
            frame.render_widget(
                PlacementPane {
                    model,
                    selected_tgid,
                    theme,
                },
                r,
            );
        }
    }
    if let Some(picker) = &app.picker {
        frame.render_widget(
            AffinityPane {
                picker,
                confirming: app.mode == Mode::Confirm,
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
