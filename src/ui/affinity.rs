//! The affinity picker and the confirmation that follows it, drawn over the table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use std::collections::BTreeSet;

use crate::collect::format_cpu_list;

/// The CPU picker: what it is drawn from (the app keeps the picker's state).
#[derive(Debug, Clone, Copy)]
pub struct AffinityPicker<'a> {
    /// What the user picked, in words: "thread 1236 (busy-0)".
    pub target: &'a str,
    /// Online CPUs, in id order.
    pub cpus: &'a [u32],
    pub chosen: &'a BTreeSet<u32>,
    pub cursor: usize,
    /// What was read of the tasks' CPUs when the picker opened: `None` not yet, `Ok` with a
    /// note (empty for none), or `Err` with why it could not be read.
    pub now: Option<Result<&'a str, &'a str>>,
}

#[derive(Clone)]
pub struct AffinityPane<'a> {
    pub picker: AffinityPicker<'a>,
    pub confirming: bool,
    pub theme: Theme,
}

/// The popup's widest.
pub const WIDTH: u16 = 72;

impl Widget for AffinityPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let p = self.picker;
        let chosen: Vec<u32> = p.chosen.iter().copied().collect();
        let mut lines = Vec::new();
        if self.confirming {
            lines.push(Line::raw(format!(
                "Let {} run only on CPUs {}?",
                p.target,
                format_cpu_list(&chosen)
            )));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "y: yes, apply    n / Esc: no, change nothing",
                t.header_label(),
            ));
        } else {
            let list = match p.now {
                None => format!("reading{}", t.glyphs.ellipsis),
                Some(Err(why)) => format!("{why}; none ticked"),
                Some(Ok("")) => format_cpu_list(&chosen),
                Some(Ok(note)) => format!("{} ({note})", format_cpu_list(&chosen)),
            };
            lines.push(Line::raw(format!("CPUs {} may run: {list}", p.target)));
            lines.push(Line::styled(
                "Space toggles, a all, n none, Enter applies, Esc cancels",
                t.dim(),
            ));
            let list = super::PickerList::new(area, WIDTH, p.cpus.len(), p.cursor);
            for (i, cpu) in p
                .cpus
                .iter()
                .enumerate()
                .skip(list.first)
                .take(list.shown())
            {
                let mark = if p.chosen.contains(cpu) { "[x]" } else { "[ ]" };
                let text = format!(" {mark} CPU {cpu}");
                lines.push(if i == p.cursor {
                    Line::from(Span::styled(text, t.selected()))
                } else {
                    Line::raw(text)
                });
            }
        }
        let title = if self.confirming {
            " Confirm affinity change "
        } else {
            " Set CPU affinity "
        };
        if self.confirming {
            // The question names whom: wrapped, never cut.
            super::popup_wrapped(lines, t.block().title(title), WIDTH, area, buf);
        } else {
            super::popup(lines, t.block().title(title), WIDTH, area, buf);
        }
    }
}
