//! The explain card: the selected task in plain words (see model::explain).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::theme::Theme;
use crate::collect::{Snapshot, TaskKey};
use crate::model::explain::{explain, explain_pool};
use crate::model::{Row, RowKind};

pub struct ExplainPane<'a> {
    pub snap: &'a Snapshot,
    pub task: Option<TaskKey>,
    /// A pool row is selected: its process and name pattern.
    pub pool: Option<(u32, &'a str)>,
    pub theme: Theme,
    /// Lines scrolled past (clamped here to what there is).
    pub scroll: u16,
    pub focused: bool,
}

impl<'a> ExplainPane<'a> {
    /// The card for a table row: the task, or for a pool row the pool.
    pub fn for_row(snap: &'a Snapshot, row: Option<&'a Row>, theme: Theme) -> Self {
        ExplainPane {
            snap,
            task: row.map(|r| r.key),
            pool: row
                .filter(|r| r.kind == RowKind::Pool)
                .map(|r| (r.tgid, r.name.as_str())),
            theme,
            scroll: 0,
            focused: false,
        }
    }

    fn lines(&self) -> Vec<String> {
        let card = match self.pool {
            Some((tgid, pattern)) => explain_pool(self.snap, tgid, pattern),
            None => self.task.and_then(|k| explain(self.snap, k)),
        };
        card.unwrap_or_else(|| vec!["Select a task to have it explained.".into()])
    }

    pub fn height(&self, width: u16) -> u16 {
        // The body wrapped as drawn (by words), in the border; the title is in the border.
        super::wrapped_height(&self.body().1, width.saturating_sub(2), true) + 2
    }

    /// The card's body (its first line is the title), wrapped as drawn.
    fn body(&self) -> (String, Vec<Line<'static>>) {
        let mut lines = self.lines().into_iter();
        let title = lines.next().unwrap_or_default();
        (title, lines.map(Line::raw).collect())
    }

    /// Lines of content that do not fit in `area` (border included).
    pub fn max_scroll(&self, area: Rect) -> u16 {
        let inner = self.theme.block().inner(area);
        super::wrapped_height(&self.body().1, inner.width, true).saturating_sub(inner.height)
    }
}

impl Widget for ExplainPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (title, body) = self.body();
        let inner = t.block().inner(area);
        let total = super::wrapped_height(&body, inner.width, true);
        let (block, scroll) = super::pane_block(
            t,
            Line::styled(format!(" {title} "), t.header_label()),
            self.focused,
            Some(super::Scroll {
                want: self.scroll,
                room: inner.height,
                total,
            }),
        );
        Paragraph::new(body)
            .wrap(Wrap { trim: true })
            .scroll((scroll, 0))
            .block(block)
            .render(area, buf);
    }
}
