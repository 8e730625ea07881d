//! The help screen, generated from the key table plus a legend of task states.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::theme::Theme;
use crate::keymap::{self, Mode};

pub struct HelpPane {
    pub theme: Theme,
    /// Lines scrolled past; clamped so the last line stays on screen.
    pub scroll: u16,
}

const STATES: &[(&str, &str)] = &[
    (
        "R",
        "runnable: running or waiting for a CPU (/proc cannot tell which)",
    ),
    (
        "S",
        "sleeping: waiting for an event (a lock, a timer, input)",
    ),
    ("D", "uninterruptible sleep, usually disk or other I/O"),
    ("I", "idle kernel thread"),
    (
        "T t",
        "stopped by a signal / stopped by a debugger (traced)",
    ),
    ("Z", "zombie: exited, waiting for its parent to collect it"),
    ("?", "could not be read (permission denied)"),
];

impl Widget for HelpPane {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
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
        let key_width = keymap::help_lines(Mode::Normal)
            .iter()
            .chain(keymap::help_lines(Mode::Filter).iter())
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(8);
        for (title, mode) in [
            ("Keys", Mode::Normal),
            ("While typing a filter", Mode::Filter),
        ] {
            lines.push(Line::styled(title, t.header_label()));
            for (keys, what) in keymap::help_lines(mode) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<key_width$}"), t.header_label()),
                    Span::raw(format!("  {what}")),
                ]));
            }
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled("States", t.header_label()));
        for (s, what) in STATES {
            lines.push(Line::from(vec![
                Span::styled(format!("  {s:<key_width$}"), t.header_label()),
                Span::raw(format!("  {what}")),
            ]));
        }
        Clear.render(area, buf);
        let inner = area.height.saturating_sub(2);
        let scroll = self.scroll.min((lines.len() as u16).saturating_sub(inner));
        let title = if lines.len() as u16 > inner {
            " threadtop help: ↓↑ scroll, Esc or ? close "
        } else {
            " threadtop help: Esc or ? to close "
        };
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .block(Block::default().borders(Borders::ALL).title(title))
            .render(area, buf);
    }
}
