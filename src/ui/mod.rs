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
//! │ shares pane (s): what the tasks share (kcmp) │
//! ├──────────────────────────────────────────────┤
//! │ explain card (e): the task in plain words    │
//! ├──────────────────────────────────────────────┤
//! │ footer: view settings / filter line          │
//! │ footer: keys that matter now                 │
//! └──────────────────────────────────────────────┘
//! ```
//! The help screen covers the table when open; the affinity and signal pickers are drawn
//! over it.

pub mod affinity;
pub mod columns;
pub mod cpus;
pub mod explain;
pub mod footer;
pub mod format;
pub mod header;
pub mod help;
pub mod palette;
pub mod placement;
pub mod shares;
pub mod signal;
pub mod theme;
pub mod timebar;
pub mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::keymap::Mode;
use affinity::AffinityPane;
use cpus::CpusPane;
use explain::ExplainPane;
use footer::FooterPane;
use header::HeaderPane;
use help::HelpPane;
use placement::PlacementPane;
use shares::SharesPane;
use signal::SignalPane;
use theme::Theme;
use tree::TreePane;

/// A pane gets at least this many lines (its border and a few of content), or none.
const MIN_PANE: u16 = 6;

/// Below this the panes cannot say anything useful.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pane {
    Cpus,
    Placement,
    Shares,
    Explain,
}

struct Areas {
    /// Panes asked for that do not fit at this size.
    hidden_panes: usize,
    timebar: Option<Rect>,
    header: Rect,
    table: Rect,
    panes: Vec<(Pane, Rect)>,
    footer: Rect,
}

/// Splits `budget` lines among panes wanting `wants`: everyone gets what they want when it
/// fits; otherwise the small ones are served first and the rest share equally.
pub fn allocate(wants: &[u16], budget: u16) -> Vec<u16> {
    let mut got = vec![0u16; wants.len()];
    let mut left = budget;
    let mut order: Vec<usize> = (0..wants.len()).collect();
    order.sort_by_key(|&i| wants[i]);
    for (k, &i) in order.iter().enumerate() {
        let fair = left / (wants.len() - k) as u16;
        got[i] = wants[i].min(fair);
        left -= got[i];
    }
    got
}

fn areas(app: &App, area: Rect, theme: Theme) -> Areas {
    let header = HeaderPane {
        model: app.model.as_ref(),
        refresh_interval: app.refresh_interval,
        theme,
    };
    // Keep at least a few table rows however many CPUs the header wants to show.
    let header_h = header.height(area.width).min(area.height.saturating_sub(6));
    let bar_h = u16::from(app.replay.is_some());
    let [timebar, header, body, footer] = Layout::vertical([
        Constraint::Length(bar_h),
        Constraint::Length(header_h),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    // The panes below the table take what they need, but never more than 60 % of the body
    // together, so the table keeps some rows.
    let budget = body.height * 3 / 5;
    let selected_tgid = app.selected_row().map(|r| r.tgid);
    let mut wanted: Vec<(Pane, u16)> = Vec::new();
    if let Some(model) = &app.model {
        let snap = &model.current;
        if app.show_cpus {
            let h = CpusPane {
                model,
                selected_tgid,
                theme,
            }
            .height(area.width);
            wanted.push((Pane::Cpus, h));
        }
        if app.show_placement {
            wanted.push((
                Pane::Placement,
                PlacementPane {
                    model,
                    selected_tgid,
                    theme,
                }
                .height(),
            ));
        }
        if app.show_shares {
            wanted.push((
                Pane::Shares,
                SharesPane {
                    snap,
                    selected_tgid,
                    replay: app.replay.is_some(),
                    theme,
                }
                .height(),
            ));
        }
        if app.show_explain {
            let task = app.selected_row().map(|r| r.key);
            wanted.push((
                Pane::Explain,
                ExplainPane { snap, task, theme }.height(area.width),
            ));
        }
    }
    // A pane squeezed below a few lines shows only its title: rather than slivers, the
    // last opened panes are left out, and the footer says how many.
    let mut hidden_panes = 0;
    while wanted.iter().map(|w| w.1.min(MIN_PANE)).sum::<u16>() > budget && !wanted.is_empty() {
        wanted.pop();
        hidden_panes += 1;
    }
    let heights = allocate(&wanted.iter().map(|w| w.1).collect::<Vec<_>>(), budget);
    let mut constraints = vec![Constraint::Min(1)];
    constraints.extend(heights.iter().map(|h| Constraint::Length(*h)));
    let rects = Layout::vertical(constraints).split(body);
    Areas {
        hidden_panes,
        timebar: (bar_h > 0).then_some(timebar),
        header,
        table: rects[0],
        panes: wanted
            .iter()
            .zip(heights.iter())
            .zip(rects.iter().skip(1))
            .filter(|((_, h), _)| **h > 2)
            .map(|(((p, _), _), r)| (*p, *r))
            .collect(),
        footer,
    }
}

/// Draws `lines` in a box centred on `area`, at most `max_width` wide, over what is there.
pub fn popup(
    lines: Vec<ratatui::text::Line<'_>>,
    block: ratatui::widgets::Block<'_>,
    max_width: u16,
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
) {
    use ratatui::widgets::{Clear, Widget};
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = area.width.min(max_width);
    let r = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(r, buf);
    Paragraph::new(lines).block(block).render(r, buf);
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
    if let (Some(r), Some(info)) = (a.timebar, &app.replay) {
        frame.render_widget(timebar::TimeBar { info, theme }, r);
    }
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
                columns: app.column_layout.get(app.columns),
                theme,
            },
            a.table,
        );
    }
    let selected_tgid = app.selected_row().map(|r| r.tgid);
    if let Some(model) = &app.model {
        let snap = &model.current;
        for (pane, r) in &a.panes {
            match pane {
                Pane::Cpus => frame.render_widget(
                    CpusPane {
                        model,
                        selected_tgid,
                        theme,
                    },
                    *r,
                ),
                Pane::Placement => frame.render_widget(
                    PlacementPane {
                        model,
                        selected_tgid,
                        theme,
                    },
                    *r,
                ),
                Pane::Shares => frame.render_widget(
                    SharesPane {
                        snap,
                        selected_tgid,
                        replay: app.replay.is_some(),
                        theme,
                    },
                    *r,
                ),
                Pane::Explain => {
                    let task = app.selected_row().map(|r| r.key);
                    frame.render_widget(ExplainPane { snap, task, theme }, *r)
                }
            }
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
    if let Some(picker) = &app.signal {
        frame.render_widget(
            SignalPane {
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
            filter_text: if app.mode == Mode::Jump {
                &app.jump_text
            } else {
                &app.filter_text
            },
            rows: app.rows.len(),
            following: app.follow.map(|f| f.key.tid),
            status: app.status.as_deref(),
            replay: app.replay.is_some(),
            hidden_panes: a.hidden_panes,
            theme,
        },
        a.footer,
    );
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn panes_share_the_space_fairly() {
        assert_eq!(allocate(&[4, 5], 20), vec![4, 5]);
        assert_eq!(allocate(&[4, 30], 20), vec![4, 16]);
        assert_eq!(allocate(&[30, 30], 20), vec![10, 10]);
        assert_eq!(allocate(&[], 20), Vec::<u16>::new());
        assert_eq!(allocate(&[9, 9, 9], 0), vec![0, 0, 0]);
    }
}
