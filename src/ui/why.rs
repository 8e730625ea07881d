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
const LABEL: usize = 16;
/// The bar's width at most (20 cells: 5 % each). At 80 columns it leaves 40 for the
/// verdict, which wraps below itself past that: cut at 33, "lock convoy: 6 of 6 wait on
/// one fu" was all a user read of the longest sentences.
const BAR_MAX: u16 = 20;
/// The verdict's column is never narrower than this (the bar gives way first).
const VERDICT_MIN: u16 = 20;

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is cut
/// into pieces).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let have = line.chars().count();
            let gap = usize::from(have > 0);
            if have + gap + word.len() <= width {
                if gap > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if have > 0 {
                out.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than a line: as much as fits, the rest on the next.
            let rest = word.split_off(width);
            out.push(word.into_iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

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
        let mut out: Vec<Line<'static>> = wrap(&legend.join(" "), usize::from(width.max(1)))
            .into_iter()
            .map(|l| Line::styled(l, t.dim()))
            .collect();
        let bar_w = width
            .saturating_sub(LABEL as u16 + 2 + VERDICT_MIN)
            .min(BAR_MAX);
        let verdict_at = LABEL + 1 + usize::from(bar_w) + 1;
        let room = usize::from(width).saturating_sub(verdict_at);
        for l in &v.lines {
            match l {
                WhyLine::Text(s) => {
                    // Continued two columns in, so a wrapped line reads as one.
                    let lines = wrap(s, usize::from(width.saturating_sub(2).max(1)));
                    for (i, part) in lines.into_iter().enumerate() {
                        let indent = if i == 0 { "" } else { "  " };
                        out.push(Line::raw(format!("{indent}{part}")));
                    }
                }
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
                    let parts = if room >= usize::from(VERDICT_MIN) {
                        wrap(verdict, room)
                    } else {
                        vec![verdict.clone()]
                    };
                    let mut parts = parts.into_iter();
                    spans.push(Span::raw(format!(" {}", parts.next().unwrap_or_default())));
                    out.push(Line::from(spans));
                    for part in parts {
                        out.push(Line::raw(format!("{:verdict_at$}{part}", "")));
                    }
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

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_only_a_word_too_long() {
        assert_eq!(
            wrap("idle: blocked reading a pipe", 14),
            ["idle: blocked", "reading a pipe"]
        );
        assert_eq!(
            wrap("futex 0x7f2a5c000b28", 8),
            ["futex", "0x7f2a5c", "000b28"]
        );
        assert_eq!(wrap("", 5), [""]);
        for line in wrap("lock convoy: 6 of 6 wait on one futex (0x55c34caf7290)", 12) {
            assert!(line.chars().count() <= 12, "{line}");
        }
    }
}
