//! The share pane: what the selected process's tasks share, resource by resource (same
//! letter = same kernel object), and which tasks of other processes share with it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::theme::Theme;
use crate::collect::Resource;
use crate::model::shares::{Mark, ShareView};

pub struct SharesPane<'a> {
    /// The selected process's share matrix (computed once per tick in the model), once
    /// the collector has compared its tasks.
    pub view: Option<&'a ShareView>,
    /// Replaying a recording: share groups are not recorded.
    pub replay: bool,
    pub theme: Theme,
    /// Lines scrolled past (clamped here to what there is).
    pub scroll: u16,
    pub focused: bool,
}

const TITLE: &str = " Shares: same letter = same kernel object (kcmp); - none; ? unknown ";

/// One resource column: a four-character name and a space.
const CELL: usize = 5;

impl SharesPane<'_> {
    fn view(&self) -> Option<&ShareView> {
        self.view
    }

    pub fn height(&self) -> u16 {
        match self.view() {
            Some(v) => (v.rows.len() + v.outside.len().min(6) + 7) as u16,
            None => 3,
        }
    }
}

impl SharesPane<'_> {
    /// Lines of content that do not fit in `area` (border included), wrapped as drawn.
    pub fn max_scroll(&self, area: Rect) -> u16 {
        let inner = self.theme.block().inner(area);
        super::wrapped_height(&self.lines(inner), inner.width, false).saturating_sub(inner.height)
    }

    fn lines(&self, inner: Rect) -> Vec<Line<'static>> {
        let t = self.theme;
        let Some(v) = self.view() else {
            return vec![Line::raw(format!(
                "comparing{} (kcmp runs on the collector thread when the selection changes)",
                t.glyphs.ellipsis
            ))];
        };
        let label_w = usize::from(inner.width)
            .saturating_sub(CELL * Resource::ALL.len())
            .clamp(8, 24);
        let head: String = Resource::ALL
            .iter()
            .map(|r| format!("{:>CELL$}", r.short()))
            .collect();
        let mut lines = vec![Line::styled(
            format!("{:<label_w$}{head}", "tasks"),
            t.header_label(),
        )];
        for row in &v.rows {
            let label: String = row.label.chars().take(label_w - 1).collect();
            let mut spans = vec![Span::raw(format!("{label:<label_w$}"))];
            for m in &row.marks {
                let style = match m {
                    Mark::Unknown => t.warning(),
                    Mark::None => t.dim(),
                    Mark::Group(0) => ratatui::style::Style::new(),
                    Mark::Group(_) => t.state(b'R'),
                };
                spans.push(Span::styled(format!("{:>CELL$}", m.symbol()), style));
            }
            lines.push(Line::from(spans));
        }
        if v.all_alike && v.rows.first().is_some_and(|r| r.tids.len() > 1) {
            lines.push(Line::styled(
                format!(
                    "{} share everything: one address space, fd table, fs info, signal handlers.",
                    v.rows[0].label
                ),
                t.dim(),
            ));
        }
        lines.push(Line::styled(
            "VM address space, FILE fd table, FS cwd/root/umask, SIG signal handlers, IO io context, SEM SysV undo; the rest are namespaces. IO and SEM: tasks that have none compare equal.",
            t.dim(),
        ));
        if let Some(why) = &v.unknown {
            lines.push(Line::styled(format!("? = unknown: {why}"), t.warning()));
        }
        if let (false, Some(other)) = (v.own_namespaces.is_empty(), v.namespaces_compared_with) {
            let ns: Vec<&str> = v.own_namespaces.iter().map(|r| r.name()).collect();
            lines.push(Line::raw(format!(
                "In its own namespaces, not those of process {other}: {}",
                ns.join(", ")
            )));
        }
        if v.outside.is_empty() {
            lines.push(Line::styled(
                "Shares nothing with other processes beyond the defaults (namespaces).",
                t.dim(),
            ));
        } else {
            lines.push(Line::styled(
                "Shared with other processes:",
                t.header_label(),
            ));
            for o in &v.outside {
                let what: Vec<String> = o.shares.iter().map(|r| r.name().to_uppercase()).collect();
                let who = if o.tid == o.tgid {
                    format!("{} ({})", o.name, o.tid)
                } else {
                    format!("{} (thread {} of process {})", o.name, o.tid, o.tgid)
                };
                lines.push(Line::raw(format!("  {who}: {}", what.join(", "))));
            }
        }
        lines
    }
}

impl Widget for SharesPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = self.theme.block().inner(area);
        let lines = self.lines(inner);
        let total = super::wrapped_height(&lines, inner.width, false);
        let (block, scroll) = super::pane_block(
            self.theme,
            Line::raw(TITLE),
            self.focused,
            Some(super::Scroll {
                want: self.scroll,
                room: inner.height,
                total,
            }),
        );
        block.render(area, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(inner, buf);
    }
}

impl super::panes::PaneView for SharesPane<'_> {
    fn height(&self, width: u16) -> u16 {
        let _ = width;
        SharesPane::height(self)
    }
    fn max_scroll(&self, area: Rect) -> u16 {
        SharesPane::max_scroll(self, area)
    }
    fn render(self: Box<Self>, area: Rect, buf: &mut Buffer) {
        Widget::render(*self, area, buf)
    }
}
