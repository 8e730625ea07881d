//! The help screen, generated from the key table plus a legend of task states.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use super::theme::Theme;
use crate::keymap::{self, Mode};

pub struct HelpPane {
    pub theme: Theme,
    /// Lines scrolled past; clamped so the last line stays on screen.
    pub scroll: u16,
}

/// `letter<TAB>meaning` lines; `#` starts a comment.
const STATES: &str = include_str!("../../assets/states.tsv");

/// The state legend: (letter, meaning), from the embedded asset.
pub fn state_legend() -> impl Iterator<Item = (&'static str, &'static str)> {
    STATES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
}

/// Every line of the help screen (it is not wrapped: a line is a line on screen).
fn help_lines(t: Theme) -> Vec<Line<'static>> {
    let g = t.glyphs;
    let mut lines = vec![
        Line::styled(
            "Every row is a task: a process (thread group) or one of its threads.",
            t.dim(),
        ),
        Line::styled(
            "TID = gettid(), TGID = getpid(); [name] = kernel thread.",
            t.dim(),
        ),
        Line::raw(""),
    ];
    let key_width = keymap::help_lines(Mode::Normal, false)
        .iter()
        .chain(keymap::help_lines(Mode::Filter, false).iter())
        .map(|(k, _)| g.text(k).chars().count())
        .max()
        .unwrap_or(8);
    for (title, mode, replay) in [
        ("Keys", Mode::Normal, false),
        ("While typing a filter", Mode::Filter, false),
        ("In the column editor (o)", Mode::Columns, false),
        ("While typing a search (F3)", Mode::Search, false),
        ("While choosing a user (u)", Mode::User, false),
        ("When replaying a recording", Mode::Normal, true),
    ] {
        lines.push(Line::styled(title, t.header_label()));
        for (keys, what) in keymap::help_lines(mode, replay) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<key_width$}", g.text(&keys)), t.header_label()),
                Span::raw(format!("  {}", g.text(what))),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("States", t.header_label()));
    for (s, what) in state_legend() {
        lines.push(Line::from(vec![
            Span::styled(format!("  {s:<key_width$}"), t.header_label()),
            Span::raw(format!("  {what}")),
        ]));
    }
    lines
}

/// The largest scroll that still fills a help screen `height` lines tall (border
/// included): what End goes to.
pub fn max_scroll(height: u16) -> u16 {
    (help_lines(Theme::mono()).len() as u16).saturating_sub(height.saturating_sub(2))
}

impl Widget for HelpPane {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let g = t.glyphs;
        let lines = help_lines(t);
        Clear.render(area, buf);
        let inner = area.height.saturating_sub(2);
        let scroll = self.scroll.min((lines.len() as u16).saturating_sub(inner));
        let title = if lines.len() as u16 > inner {
            g.text(" threadtop help: ↓↑ scroll, Esc or ? close ")
        } else {
            " threadtop help: Esc or ? to close ".to_string()
        };
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .block(t.block().title(title))
            .render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn legend_covers_every_state_letter() {
        let letters: String = super::state_legend().map(|(l, _)| l).collect();
        for c in "RSDITtZXP?".chars() {
            assert!(letters.contains(c), "{c} missing from assets/states.tsv");
        }
    }
}
