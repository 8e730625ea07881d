//! The why pane: where the selected process's pools and threads spent the last interval
//! (stacked bars of the breakdown, one letter per part so it reads in ASCII and without
//! colour), its lock groups and the fds its threads wait on (see model::derived::why_view).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;
use crate::model::derived::{WhyLine, WhyView};
use crate::model::why::Part;

/// Label column: "4411 worker-12" fits; longer names are cut.
const LABEL: usize = 18;
/// The bar's width at most: at 80 columns it leaves 33 for the verdict (24 cells: 4 % each).
const BAR_MAX: u16 = 24;

pub struct WhyPane<'a> {
    /// Computed once per tick or selection ([`crate::model::derived::Derived`]).
    pub view: Option<&'a WhyView>,
    pub theme: Theme,
    pub scroll: u16,
    pub focused: bool,
}

impl WhyPane<'_> {
    fn title(&self) -> String {
        self.view
            .map_or_else(|| "why".to_string(), |v| v.title.clone())
    }

    fn lines(&self, width: u16) -> Vec<Line<'static>> {
        let Some(v) = self.view else {
            return vec![Line::raw("Select a process to see where its time went.")];
        };
        let t = self.theme;
        let legend: Vec<String> = Part::ALL
            .iter()
            .map(|p| format!("{}={}", p.ascii(), p.name()))
            .collect();
        let mut out = vec![Line::styled(legend.join(" "), t.dim())];
        let bar_w = width.saturating_sub(LABEL as u16 + 3).min(BAR_MAX);
        for l in &v.lines {
            match l {
                WhyLine::Text(s) => out.push(Line::raw(s.clone())),
                WhyLine::Bar {
                    label,
                    breakdown,
                    verdict,
                } => {
                    let label: String = label.chars().take(LABEL).collect();
                    let mut spans = vec![Span::raw(format!("{label:<LABEL$} "))];
                    match breakdown {
                        Some(b) => {
                            let segs = b.segments(bar_w);
                            let mut bar = String::new();
                            for (p, n) in segs {
                                bar.extend(std::iter::repeat_n(p.ascii(), usize::from(n)));
                            }
                            spans.push(Span::styled(
                                format!("{bar:<w$}", w = usize::from(bar_w)),
                                t.bar(),
                            ));
                        }
                        None => {
                            spans.push(Span::raw(format!("{:<w$}", "?", w = usize::from(bar_w))))
                        }
                    }
                    spans.push(Span::raw(format!(" {verdict}")));
                    out.push(Line::from(spans));
                }
            }
        }
        out
    }

    pub fn height(&self, width: u16) -> u16 {
        // Lines are cut, not wrapped; plus the border.
        (self.lines(width.saturating_sub(2)).len() as u16).saturating_add(2)
    }

    pub fn max_scroll(&self, area: Rect) -> u16 {
        let inner = self.theme.block().inner(area);
        (self.lines(inner.width).len() as u16).saturating_sub(inner.height)
    }
}

impl Widget for WhyPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let inner = t.block().inner(area);
        let body = self.lines(inner.width);
        let (block, scroll) = super::pane_block(
            t,
            Line::styled(format!(" {} ", self.title()), t.header_label()),
            self.focused,
            Some(super::Scroll {
                want: self.scroll,
                room: inner.height,
                total: body.len() as u16,
            }),
        );
        Paragraph::new(body)
            .scroll((scroll, 0))
            .block(block)
            .render(area, buf);
    }
}

impl super::panes::PaneView for WhyPane<'_> {
    fn height(&self, width: u16) -> u16 {
        WhyPane::height(self, width)
    }
    fn max_scroll(&self, area: Rect) -> u16 {
        WhyPane::max_scroll(self, area)
    }
    fn render(self: Box<Self>, area: Rect, buf: &mut Buffer) {
        Widget::render(*self, area, buf)
    }
}
