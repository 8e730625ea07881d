//! The column editor, drawn over the table below its header line, so the header shows the
//! result of each change as it is made.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use crate::model::columns::{ColumnLayout, ColumnSet};

#[derive(Clone)]
pub struct ColumnEditorPane<'a> {
    /// The set being edited.
    pub set: ColumnSet,
    /// Index into the editor's list ([`ColumnLayout::editor_rows`]).
    pub cursor: usize,
    pub layout: &'a ColumnLayout,
    pub theme: Theme,
}

impl Widget for ColumnEditorPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let e = &self;
        let list = self.layout.editor_rows(e.set);
        let shown = list.iter().filter(|r| r.1).count();
        let mut lines = vec![
            Line::styled(
                t.glyphs
                    .text("↑↓ choose · Space show/hide · [ ] move · c other set · d defaults"),
                t.dim(),
            ),
            Line::styled(
                t.glyphs.text("w save to the config file · Esc close"),
                t.dim(),
            ),
        ];
        // Border, the two lines above and the note below.
        let below = Rect {
            y: area.y.saturating_add(1),
            height: area.height.saturating_sub(1),
            ..area
        };
        let visible = usize::from(below.height.saturating_sub(5)).max(1);
        let first = e.cursor.saturating_sub(visible.saturating_sub(1));
        for (i, (col, on)) in list.iter().enumerate().skip(first).take(visible) {
            let spec = col.spec();
            let mark = if *on { "[x]" } else { "[ ]" };
            let place = if *on {
                format!("{:>2}", i + 1)
            } else {
                "  ".to_string()
            };
            let text = format!(
                " {place} {mark} {:<9} {:<12} {}",
                spec.title, spec.name, spec.about
            );
            lines.push(if i == e.cursor {
                Line::from(Span::styled(text, t.selected()))
            } else if *on {
                Line::raw(text)
            } else {
                Line::styled(text, t.dim())
            });
        }
        lines.push(Line::styled(
            format!(
                "{shown} of {} shown; NAME is always last and takes the rest",
                list.len()
            ),
            t.dim(),
        ));
        let title = format!(" Columns: {} set ", e.set.name());
        super::popup(lines, t.block().title(title), 90, below, buf);
    }
}
