//! The affinity picker and the confirmation that follows it, drawn over the table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use crate::app::AffinityPicker;
use crate::collect::format_cpu_list;

pub struct AffinityPane<'a> {
    pub picker: &'a AffinityPicker,
    pub confirming: bool,
    pub theme: Theme,
}

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
            lines.push(Line::raw(format!(
                "CPUs {} may run: {}",
                p.target,
                format_cpu_list(&chosen)
            )));
            lines.push(Line::styled(
                "Space toggles, a all, n none, Enter applies, Esc cancels",
                t.dim(),
            ));
            let visible = usize::from(area.height.saturating_sub(4)).max(1);
            let first = p.cursor.saturating_sub(visible.saturating_sub(1));
            for (i, cpu) in p.cpus.iter().enumerate().skip(first).take(visible) {
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
        super::popup(lines, t.block().title(title), 72, area, buf);
    }
}
