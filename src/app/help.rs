//! The help screen's keys.

use super::effects::Effects;
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;
use crate::ui;

impl App {
    /// The furthest the help screen scrolls on the last frame's screen: its last line at
    /// the bottom.
    fn help_max_scroll(&self) -> u16 {
        let height = self.frame.as_ref().map_or(0, |f| f.layout.table.height);
        ui::help::max_scroll(height)
    }

    pub(super) fn help_key(&mut self, action: Action) -> Effects {
        let half_page = self.page_height.max(1) as u16 / 2;
        let max = self.help_max_scroll();
        match (action, &mut self.overlay) {
            (Action::Help, _) => self.overlay = Overlay::Help { scroll: 0 },
            (Action::HelpScrollDown, Overlay::Help { scroll }) => {
                *scroll = scroll.saturating_add(half_page).min(max)
            }
            (Action::HelpTop, Overlay::Help { scroll }) => *scroll = 0,
            (Action::HelpBottom, Overlay::Help { scroll }) => *scroll = max,
            (Action::HelpScrollUp, Overlay::Help { scroll }) => {
                *scroll = scroll.saturating_sub(half_page)
            }
            (Action::CloseHelp, _) => self.overlay = Overlay::None,
            _ => {}
        }
        Effects::default()
    }

    /// The wheel over the help screen: `lines` down (negative: up).
    pub(super) fn help_wheel(&mut self, lines: i64) {
        let max = self.help_max_scroll();
        if let Overlay::Help { scroll } = &mut self.overlay {
            *scroll = if lines > 0 {
                scroll.saturating_add(lines as u16).min(max)
            } else {
                scroll.saturating_sub((-lines) as u16)
            };
        }
    }
}
