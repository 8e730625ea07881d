//! The explain card: the selected task in plain words (see model::explain).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::theme::Theme;

pub struct ExplainPane<'a> {
    /// The card (its first line is the title), computed once per tick in the model
    /// ([`crate::model::derived::Derived`]); `None`: nothing to explain.
    pub card: Option<&'a [String]>,
    pub theme: Theme,
    /// Lines scrolled past (clamped here to what there is).
    pub scroll: u16,
    pub focused: bool,
}

impl ExplainPane<'_> {
    fn lines(&self) -> Vec<String> {
        match self.card {
            Some(card) => card.to_vec(),
            None => vec!["Select a task to have it explained.".into()],
        }
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

impl super::panes::PaneView for ExplainPane<'_> {
    fn height(&self, width: u16) -> u16 {
        ExplainPane::height(self, width)
    }
    fn max_scroll(&self, area: Rect) -> u16 {
        ExplainPane::max_scroll(self, area)
    }
    fn render(self: Box<Self>, area: Rect, buf: &mut Buffer) {
        Widget::render(*self, area, buf)
    }
}
