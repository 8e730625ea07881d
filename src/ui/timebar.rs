//! The replay's time bar: where in the recording we are, playing or paused, how fast.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;

/// Where a replay is, for the time bar.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayInfo {
    /// "host 03:12:05  +1m30s of 10m00s  tick 91/601"
    pub position: String,
    /// 0.0 at the first tick, 1.0 at the last.
    pub fraction: f64,
    pub playing: bool,
    pub speed: u32,
}

pub struct TimeBar<'a> {
    pub info: &'a ReplayInfo,
    pub theme: Theme,
}

impl Widget for TimeBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let i = self.info;
        let state = if i.playing {
            format!("{} playing {}{}", t.glyphs.play, i.speed, t.glyphs.times)
        } else {
            format!(
                "{} paused ({}{} when playing)",
                t.glyphs.pause, i.speed, t.glyphs.times
            )
        };
        let head = format!("{}  {state} ", i.position);
        let room = usize::from(area.width).saturating_sub(head.chars().count() + 2);
        let filled = ((i.fraction.clamp(0.0, 1.0)) * room as f64).round() as usize;
        let bar = format!(
            "[{}{}]",
            "=".repeat(filled.min(room)),
            " ".repeat(room.saturating_sub(filled))
        );
        Paragraph::new(Line::from(vec![
            Span::styled(head, t.header_label()),
            Span::styled(bar, t.bar()),
        ]))
        .render(area, buf);
    }
}
