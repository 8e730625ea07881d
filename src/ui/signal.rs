//! The signal picker and the confirmation that follows it, drawn over the table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use crate::model::signals::SIGNALS;

/// The signal picker: what it is drawn from (the app keeps the picker's state).
#[derive(Debug, Clone)]
pub struct SignalPicker<'a> {
    /// Whom, in words: "process 1234 (name)", "thread 1236 (busy-0)".
    pub target: &'a str,
    /// Some threads of the process, not the whole process.
    pub threads_only: bool,
    /// Index into [`SIGNALS`].
    pub cursor: usize,
    /// "Send SIGTERM to process 1234 (name)?"
    pub question: String,
}

#[derive(Clone)]
pub struct SignalPane<'a> {
    pub picker: SignalPicker<'a>,
    pub confirming: bool,
    pub theme: Theme,
}

/// The popup's widest.
pub const WIDTH: u16 = 76;

impl Widget for SignalPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let p = &self.picker;
        let mut lines = Vec::new();
        if self.confirming {
            lines.push(Line::raw(p.question.clone()));
            if p.threads_only {
                // tgkill delivers to the thread, but default actions (end, stop) act on
                // the whole process: say so rather than promise more than the kernel does.
                lines.push(Line::styled(
                    "Delivered to that thread only; if it does not handle the signal,",
                    t.dim(),
                ));
                lines.push(Line::styled(
                    "its default action (end, stop) still acts on the whole process.",
                    t.dim(),
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "y: yes, send    n / Esc: no, send nothing",
                t.header_label(),
            ));
        } else {
            lines.push(Line::raw(format!(
                "Signal for {}{}:",
                p.target,
                if p.threads_only { " only" } else { "" }
            )));
            lines.push(Line::styled(
                "↑/↓ choose, Enter sends (asks first), Esc cancels",
                t.dim(),
            ));
            let list = super::PickerList::new(area, WIDTH, SIGNALS.len(), p.cursor);
            for (i, s) in SIGNALS
                .iter()
                .enumerate()
                .skip(list.first)
                .take(list.shown())
            {
                let text = format!(" {:>2} {:<8} {}", s.number(), s.full_name(), s.effect);
                lines.push(if i == p.cursor {
                    Line::from(Span::styled(text, t.selected()))
                } else {
                    Line::raw(text)
                });
            }
        }
        let title = if self.confirming {
            " Confirm signal "
        } else {
            " Send a signal "
        };
        if self.confirming {
            // The question names whom: wrapped, never cut.
            super::popup_wrapped(lines, t.block().title(title), WIDTH, area, buf);
        } else {
            super::popup(lines, t.block().title(title), WIDTH, area, buf);
        }
    }
}
