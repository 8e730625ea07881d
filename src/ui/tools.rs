//! The tool picker (`!`): the config's tools as they would run on the selected task.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;

/// One tool, as listed.
#[derive(Debug, Clone)]
pub struct ToolLine<'a> {
    pub name: &'a str,
    /// The command line as it will run: `strace -p 1236`.
    pub shown: &'a str,
    /// On PATH; `None`: not looked for yet.
    pub installed: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct ToolPane<'a> {
    /// On whom: "thread 1236 (busy-0) of process 1234".
    pub words: &'a str,
    pub tid: u32,
    pub pid: u32,
    pub entries: Vec<ToolLine<'a>>,
    pub cursor: usize,
    pub theme: Theme,
}

/// The popup's widest.
pub const WIDTH: u16 = 76;

const NOT_INSTALLED: &str = "not installed";

impl Widget for ToolPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines = vec![
            // Two lines: on one, a thread with a 15-byte name ran past 80 columns.
            Line::raw(format!("Tool for {}:", self.words)),
            Line::styled(
                format!("{{tid}} is {}, {{pid}} is {}", self.tid, self.pid),
                t.dim(),
            ),
            Line::styled(
                "↑/↓ choose, Enter runs it here (back when it ends), Esc cancels",
                t.dim(),
            ),
        ];
        let name_w = self
            .entries
            .iter()
            .map(|e| e.name.width())
            .max()
            .unwrap_or(0)
            .min(16);
        let inner = usize::from(area.width.min(WIDTH).saturating_sub(2));
        let list = super::PickerList::new(area, WIDTH, self.entries.len(), self.cursor);
        for (i, e) in self
            .entries
            .iter()
            .enumerate()
            .skip(list.first)
            .take(list.shown())
        {
            let missing = e.installed == Some(false);
            let name = fit(e.name, name_w);
            // The command line gets what is left after the name and, for a tool that is
            // not there, the words saying so (they are never the part cut).
            let tail = if missing { NOT_INSTALLED.len() + 2 } else { 0 };
            let room = inner.saturating_sub(name_w + 3 + tail);
            let shown = fit(e.shown, room);
            let mut text = format!(" {name:<name_w$}  {shown}");
            if missing {
                let pad = inner.saturating_sub(text.width() + NOT_INSTALLED.len() + 1);
                text.push_str(&" ".repeat(pad.max(1)));
                text.push_str(NOT_INSTALLED);
            }
            lines.push(if i == self.cursor {
                Line::from(Span::styled(text, t.selected()))
            } else if missing {
                Line::styled(text, t.dim())
            } else {
                Line::raw(text)
            });
        }
        super::popup(
            lines,
            t.block().title(" Hand off to a tool "),
            WIDTH,
            area,
            buf,
        );
    }
}

/// `s` in at most `width` cells, cut with `…` when longer.
fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}
