//! The help screen's keys.

use super::effects::Effects;
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;

/// The furthest the help screen scrolls (it has fewer lines than this).
const HELP_MAX_SCROLL: u16 = 200;

impl App {
    pub(super) fn help_key(&mut self, action: Action) -> Effects {
        let half_page = self.page_height.max(1) as u16 / 2;
        match (action, &mut self.overlay) {
            (Action::Help, _) => self.overlay = Overlay::Help { scroll: 0 },
            (Action::HelpScrollDown, Overlay::Help { scroll }) => {
                *scroll = scroll.saturating_add(half_page).min(HELP_MAX_SCROLL)
            }
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
        if let Overlay::Help { scroll } = &mut self.overlay {
            *scroll = if lines > 0 {
                scroll.saturating_add(lines as u16).min(HELP_MAX_SCROLL)
            } else {
                scroll.saturating_sub((-lines) as u16)
            };
        }
    }
}
