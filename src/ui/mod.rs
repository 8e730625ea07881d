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
pub mod column_editor;
pub mod cpus;
pub mod explain;
pub mod footer;
pub mod footer_htop;
pub mod header;
pub mod help;
pub mod panes;
pub mod placement;
pub mod question;
pub mod shares;
pub mod signal;
pub mod theme;
pub mod timebar;
pub mod tools;
pub mod tree;
pub mod why;

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use crate::keymap::Mode;
use crate::model::columns::Column;
use crate::model::derived::Derived;
use crate::model::{Model, Row, ViewOptions};
use affinity::AffinityPane;
use column_editor::ColumnEditorPane;
use footer::FooterPane;
use header::HeaderPane;
use help::HelpPane;
pub use panes::{Pane, PaneStates};
use panes::{PaneCtx, PaneView};
use signal::SignalPane;
use theme::Theme;
use timebar::ReplayInfo;
use tree::TreePane;

/// A pane gets at least this many lines (its border and a few of content), or none.
const MIN_PANE: u16 = 6;

/// Below this the panes cannot say anything useful.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;

/// A pane on screen: where, and how far its content can scroll there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneArea {
    pub pane: Pane,
    pub rect: Rect,
    /// Lines of content that do not fit: the largest scroll offset.
    pub max_scroll: u16,
}

/// Where everything is drawn at one screen size: the draw and the mouse's hit-testing
/// both use it, so a click lands on what is drawn under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenLayout {
    pub area: Rect,
    /// Panes asked for that do not fit at this size.
    pub hidden_panes: usize,
    pub timebar: Option<Rect>,
    pub header: Rect,
    /// The table (or the help screen), its column header on the first line.
    pub table: Rect,
    pub panes: Vec<PaneArea>,
    pub footer: Rect,
    /// Too small to draw anything but a message.
    pub too_small: bool,
    /// The first table row drawn: the view's, moved only as far as keeps the cursor on a
    /// page of this height (the app takes it back, with the page height).
    pub offset: usize,
}

impl ScreenLayout {
    /// The pane drawn at (x, y), if any.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<PaneArea> {
        self.panes
            .iter()
            .find(|p| p.rect.contains(ratatui::layout::Position { x, y }))
            .copied()
    }

    pub fn pane(&self, pane: Pane) -> Option<PaneArea> {
        self.panes.iter().find(|p| p.pane == pane).copied()
    }
}

/// The border and title of a pane; the focused one (Tab, or a click) has a heavier,
/// highlighted border and says "focused" in its title, so it shows without colour too.
/// With `scroll`, the block says which lines it shows when the content is cut, and the
/// first line to show is returned: what was asked, clamped so the last page stays full.
pub fn pane_block<'a>(
    theme: Theme,
    title: ratatui::text::Line<'a>,
    focused: bool,
    scroll: Option<Scroll>,
) -> (ratatui::widgets::Block<'a>, u16) {
    use ratatui::text::Line;
    let mut block = theme.block().title(title);
    if focused {
        let set = if theme.glyphs.ascii {
            ratatui::symbols::border::Set {
                horizontal_top: "=",
                horizontal_bottom: "=",
                ..theme.glyphs.border
            }
        } else {
            ratatui::symbols::border::THICK
        };
        block = block
            .border_set(set)
            .border_style(theme.header_label())
            .title_top(Line::styled(" [focused] ", theme.header_label()).right_aligned());
    }
    let Some(Scroll { want, room, total }) = scroll else {
        return (block, 0);
    };
    let first = want.min(total.saturating_sub(room));
    if total > room {
        let last = (first + room).min(total);
        block = block.title_bottom(
            Line::raw(format!(" lines {}-{last} of {total} ", first + 1)).right_aligned(),
        );
    }
    (block, first)
}

/// A pane's scrolling: the first line asked for, the lines there is room for, the lines
/// there are.
#[derive(Debug, Clone, Copy)]
pub struct Scroll {
    pub want: u16,
    pub room: u16,
    pub total: u16,
}

/// Lines `text` takes when wrapped to `width` the way it is drawn (rendered into a scratch
/// buffer: exactly what the widget does).
pub fn wrapped_height(text: &[ratatui::text::Line<'_>], width: u16, trim: bool) -> u16 {
    use ratatui::widgets::Widget;
    if width == 0 || text.is_empty() {
        return 0;
    }
    // Word wrapping can end a line early, but not by more than half on such text: twice
    // the character count's lines is room enough, and keeps the scratch buffer small.
    let w = usize::from(width);
    let most: usize = text.iter().map(|l| l.width().div_ceil(w).max(1) * 2).sum();
    let h = most.min(2000) as u16;
    let mut buf = ratatui::buffer::Buffer::empty(Rect::new(0, 0, width, h));
    Paragraph::new(text.to_vec())
        .wrap(Wrap { trim })
        .render(buf.area, &mut buf);
    (0..h)
        .rev()
        .find(|&y| (0..width).any(|x| buf[(x, y)].symbol() != " "))
        .map_or(0, |y| y + 1)
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

/// Everything a frame shows, borrowed from the app for the length of one draw.
pub struct View<'a> {
    pub model: Option<&'a Model>,
    pub refresh_interval: Duration,
    /// Replaying a recording: where in it we are.
    pub replay: Option<&'a ReplayInfo>,
    pub rows: &'a [Row],
    pub offset: usize,
    pub cursor: usize,
    pub opts: &'a ViewOptions,
    pub columns: &'a [Column],
    pub panes: &'a PaneStates,
    pub focus: Option<Pane>,
    pub derived: &'a Derived,
    pub mode: Mode,
    /// What is drawn over the table, if anything.
    pub overlay: Overlay<'a>,
    /// The text being typed: the filter, or the time to jump to.
    pub input: &'a str,
    pub following: Option<u32>,
    pub status: Option<&'a str>,
    pub theme: Theme,
    /// How many rows are tagged (`m`).
    pub tagged: usize,
}

/// What covers the table (help) or is drawn over it (pickers, the column editor).
pub enum Overlay<'a> {
    None,
    Help {
        scroll: u16,
    },
    Affinity(AffinityPane<'a>),
    Signal(SignalPane<'a>),
    Columns(ColumnEditorPane<'a>),
    /// A question with no picker behind it.
    Question(question::QuestionPane),
    Tools(tools::ToolPane<'a>),
}

/// The first row to draw so the cursor is on a page of `page` rows and no page ends short
/// while there are rows above it.
fn clamp_offset(offset: usize, cursor: usize, rows: usize, page: usize) -> usize {
    let page = page.max(1);
    let offset = if cursor < offset {
        cursor
    } else if cursor >= offset + page {
        cursor + 1 - page
    } else {
        offset
    };
    offset.min(rows.saturating_sub(page))
}

/// Where everything goes at this size, and the pane widgets to draw there (each built
/// once per frame).
fn layout<'a>(v: &View<'a>, area: Rect) -> (ScreenLayout, Vec<Box<dyn PaneView + 'a>>) {
    let header = HeaderPane {
        model: v.model,
        refresh_interval: v.refresh_interval,
        cgroup_hint: v.derived.cgroups.hint.as_deref(),
        theme: v.theme,
    };
    // Keep at least a few table rows however many CPUs the header wants to show.
    let header_h = header.height(area.width).min(area.height.saturating_sub(6));
    let bar_h = u16::from(v.replay.is_some());
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
    let mut wanted: Vec<(Pane, u16, Box<dyn PaneView + 'a>)> = Vec::new();
    if let Some(model) = v.model {
        let selected = v.rows.get(v.cursor);
        for pane in v.panes.open() {
            let widget = (panes::def(pane).build)(&PaneCtx {
                model,
                selected,
                derived: v.derived,
                replay: v.replay.is_some(),
                theme: v.theme,
                scroll: v.panes.scroll(pane),
                focused: v.focus == Some(pane),
            });
            let h = widget.height(area.width);
            wanted.push((pane, h, widget));
        }
    }
    // A pane squeezed below a few lines shows only its title: rather than slivers, the
    // panes lowest in the stack are left out, and the footer says how many; never the one
    // opened last while another can go (the key just pressed shows its pane).
    let mut hidden_panes = 0;
    while wanted.iter().map(|w| w.1.min(MIN_PANE)).sum::<u16>() > budget && !wanted.is_empty() {
        let keep = v.panes.last_opened();
        let drop = wanted
            .iter()
            .rposition(|w| Some(w.0) != keep)
            .unwrap_or(wanted.len() - 1);
        wanted.remove(drop);
        hidden_panes += 1;
    }
    let heights = allocate(&wanted.iter().map(|w| w.1).collect::<Vec<_>>(), budget);
    let mut constraints = vec![Constraint::Min(1)];
    constraints.extend(heights.iter().map(|h| Constraint::Length(*h)));
    let rects = Layout::vertical(constraints).split(body);
    let mut panes = Vec::new();
    let mut widgets = Vec::new();
    for (((p, _, w), h), r) in wanted
        .into_iter()
        .zip(heights.iter())
        .zip(rects.iter().skip(1))
    {
        if *h > 2 {
            panes.push(PaneArea {
                pane: p,
                rect: *r,
                max_scroll: w.max_scroll(*r),
            });
            widgets.push(w);
        }
    }
    let table = rects[0];
    let layout = ScreenLayout {
        area,
        hidden_panes,
        timebar: (bar_h > 0).then_some(timebar),
        header,
        table,
        panes,
        footer,
        too_small: area.width < MIN_WIDTH || area.height < MIN_HEIGHT,
        offset: clamp_offset(
            v.offset,
            v.cursor,
            v.rows.len(),
            tree::page_height(table.height),
        ),
    };
    (layout, widgets)
}

/// Draws one frame and returns where everything went: the one layout pass of the frame,
/// which the app keeps for the page height and the mouse.
pub fn draw(frame: &mut Frame, v: &View) -> ScreenLayout {
    let area = frame.area();
    let (a, widgets) = layout(v, area);
    if a.too_small {
        frame.render_widget(
            Paragraph::new(format!(
                "terminal too small: {}x{}, threadtop needs {MIN_WIDTH}x{MIN_HEIGHT}",
                area.width, area.height
            ))
            .wrap(Wrap { trim: true }),
            area,
        );
        return a;
    }
    let theme = v.theme;
    if let (Some(r), Some(info)) = (a.timebar, v.replay) {
        frame.render_widget(timebar::TimeBar { info, theme }, r);
    }
    frame.render_widget(
        HeaderPane {
            model: v.model,
            refresh_interval: v.refresh_interval,
            cgroup_hint: v.derived.cgroups.hint.as_deref(),
            theme,
        },
        a.header,
    );
    if let Overlay::Help { scroll } = v.overlay {
        frame.render_widget(HelpPane { theme, scroll }, a.table);
    } else {
        frame.render_widget(
            TreePane {
                rows: v.rows,
                offset: a.offset,
                cursor: v.cursor,
                sort: v.opts.sort,
                reverse: v.opts.reverse,
                columns: v.columns,
                theme,
            },
            a.table,
        );
    }
    let buf = frame.buffer_mut();
    for (p, w) in a.panes.iter().zip(widgets) {
        w.render(p.rect, buf);
    }
    match &v.overlay {
        Overlay::Affinity(p) => frame.render_widget(p.clone(), a.table),
        Overlay::Signal(p) => frame.render_widget(p.clone(), a.table),
        Overlay::Columns(e) => frame.render_widget(e.clone(), a.table),
        Overlay::Question(q) => frame.render_widget(q.clone(), a.table),
        Overlay::Tools(t) => frame.render_widget(t.clone(), a.table),
        Overlay::None | Overlay::Help { .. } => {}
    }
    frame.render_widget(
        FooterPane {
            mode: v.mode,
            opts: v.opts,
            filter_text: v.input,
            tagged: v.tagged,
            rows: v.rows.len(),
            context_rows: v.rows.iter().filter(|r| r.context).count(),
            following: v.following,
            status: v.status,
            replay: v.replay.is_some(),
            hidden_panes: a.hidden_panes,
            theme,
        },
        a.footer,
    );
    a
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

/// As [`popup`], its lines wrapped at word boundaries, for a question: one that names
/// several tasks ("Let 2 tagged: process 1234 (a), process 1240 (b) run only on CPUs 0?")
/// is longer than the popup is wide, and was cut where it said which.
pub fn popup_wrapped(
    lines: Vec<ratatui::text::Line<'_>>,
    block: ratatui::widgets::Block<'_>,
    max_width: u16,
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
) {
    use ratatui::widgets::{Clear, Widget};
    let width = area.width.min(max_width);
    let inner = wrapped_height(&lines, width.saturating_sub(2), false);
    let height = (inner + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(r, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block)
        .render(r, buf);
}

/// Where a picker's list of entries lies in its popup (see [`popup`]) over `area`: two
/// header lines above it, as many entries as fit, scrolled to keep the cursor in view.
/// Drawing and mouse clicks both go by it, so a click lands on the entry it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickerList {
    /// The cells of the shown entries, one row each.
    pub rows: Rect,
    /// The index of the first shown entry.
    pub first: usize,
}

/// Lines above a picker's list: what it acts on, and its keys.
pub const PICKER_HEADER: u16 = 2;

impl PickerList {
    pub fn new(area: Rect, max_width: u16, len: usize, cursor: usize) -> Self {
        let visible = usize::from(area.height.saturating_sub(PICKER_HEADER + 2)).max(1);
        let first = cursor.saturating_sub(visible - 1);
        let shown = len.saturating_sub(first).min(visible) as u16;
        let height = (PICKER_HEADER + shown + 2).min(area.height);
        let width = area.width.min(max_width);
        let top = area.y + (area.height - height) / 2 + 1 + PICKER_HEADER;
        let bottom = area.y + (area.height - height) / 2 + height.saturating_sub(1);
        PickerList {
            rows: Rect {
                x: area.x + (area.width - width) / 2 + 1,
                y: top,
                width: width.saturating_sub(2),
                height: bottom.saturating_sub(top).min(shown),
            },
            first,
        }
    }

    /// How many entries are shown.
    pub fn shown(&self) -> usize {
        usize::from(self.rows.height)
    }

    /// The entry at a screen cell, if one is there.
    pub fn at(&self, x: u16, y: u16) -> Option<usize> {
        self.rows
            .contains(ratatui::layout::Position { x, y })
            .then(|| self.first + usize::from(y - self.rows.y))
    }
}

#[cfg(test)]
mod tests {
    use super::{allocate, wrapped_height};
    use ratatui::text::Line;

    #[test]
    fn wrapped_height_counts_the_lines_as_drawn() {
        let text = [Line::raw("aaaa bbbb cccc"), Line::raw(""), Line::raw("dd")];
        // "aaaa bbbb" / "cccc" / "" / "dd" at 10 columns; trailing blank lines not counted.
        assert_eq!(wrapped_height(&text, 10, true), 4);
        assert_eq!(wrapped_height(&text, 40, true), 3);
        // Words break early: "aaaa" / "bbbb" / "cccc" at 6, more than 14 / 6 rounded up.
        assert_eq!(wrapped_height(&text[..1], 6, true), 3);
        assert_eq!(wrapped_height(&text, 0, true), 0);
        assert_eq!(wrapped_height(&[], 10, true), 0);
    }

    #[test]
    fn panes_share_the_space_fairly() {
        assert_eq!(allocate(&[4, 5], 20), vec![4, 5]);
        assert_eq!(allocate(&[4, 30], 20), vec![4, 16]);
        assert_eq!(allocate(&[30, 30], 20), vec![10, 10]);
        assert_eq!(allocate(&[], 20), Vec::<u16>::new());
        assert_eq!(allocate(&[9, 9, 9], 0), vec![0, 0, 0]);
    }
}
