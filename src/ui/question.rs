//! A yes/no question before an action that changes the system, drawn over the table (the
//! pickers draw their own; this is for actions without one, such as nice on a process).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::theme::Theme;

#[derive(Clone)]
pub struct QuestionPane {
    pub title: &'static str,
    /// "Nice +1 (less CPU) for all 7 threads of name (1234)?"
    pub question: String,
    pub theme: Theme,
}

/// The popup's widest.
pub const WIDTH: u16 = 76;

impl Widget for QuestionPane {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let lines = vec![
            Line::raw(self.question),
            Line::raw(""),
            Line::styled("y: yes    n / Esc: no, change nothing", t.header_label()),
        ];
        super::popup_wrapped(lines, t.block().title(self.title), WIDTH, area, buf);
    }
}
