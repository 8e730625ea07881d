//! The replay's time prompt (`:`): type an offset or a time of day, Enter jumps.

use super::effects::{Effects, ReplayCmd};
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;

impl App {
    pub(super) fn jump_key(&mut self, action: Action) -> Effects {
        let mut fx = Effects::default();
        match action {
            Action::ReplayJump => self.overlay = Overlay::Jump(String::new()),
            Action::JumpAccept => {
                if let Overlay::Jump(text) = std::mem::take(&mut self.overlay) {
                    fx.replay = Some(ReplayCmd::Jump(text));
                }
            }
            Action::JumpCancel => self.overlay = Overlay::None,
            Action::JumpBackspace => {
                if let Overlay::Jump(text) = &mut self.overlay {
                    text.pop();
                }
            }
            _ => {}
        }
        fx
    }
}
