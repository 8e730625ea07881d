//! The user filter (`u`, as htop): type a user's name, or step through the users that own
//! listed processes with the arrows, Enter shows only theirs; Esc in the table clears it.

use super::effects::Effects;
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;
use crate::model::RowKind;

impl App {
    /// The users that own the listed processes (all of them, not only those the user
    /// filter leaves), sorted, each once.
    pub fn listed_users(&self) -> Vec<String> {
        let Some(m) = &self.model else {
            return Vec::new();
        };
        let opts = crate::model::ViewOptions {
            user: None,
            tree: false,
            processes_only: true,
            ..self.opts.clone()
        };
        let mut users: Vec<String> = m
            .rows(&opts)
            .into_iter()
            .filter(|r| r.kind == RowKind::Process)
            .map(|r| r.user)
            .collect();
        users.sort();
        users.dedup();
        users
    }

    pub(super) fn user_key(&mut self, action: Action) -> Effects {
        match action {
            Action::PickUser => {
                self.overlay = Overlay::User(self.opts.user.clone().unwrap_or_default());
            }
            Action::UserNext | Action::UserPrev => {
                let users = self.listed_users();
                if let Overlay::User(text) = &mut self.overlay
                    && !users.is_empty()
                {
                    let at = users.iter().position(|u| u == text);
                    let i = match (at, action == Action::UserNext) {
                        (None, true) => 0,
                        (None, false) => users.len() - 1,
                        (Some(i), true) => (i + 1) % users.len(),
                        (Some(i), false) => (i + users.len() - 1) % users.len(),
                    };
                    *text = users[i].clone();
                }
            }
            Action::UserBackspace => {
                if let Overlay::User(text) = &mut self.overlay {
                    text.pop();
                }
            }
            Action::UserAccept => {
                if let Overlay::User(text) = std::mem::take(&mut self.overlay) {
                    let text = text.trim().to_string();
                    self.opts.user = (!text.is_empty()).then_some(text);
                    self.offset = 0;
                    self.rebuild();
                }
            }
            Action::UserCancel => self.overlay = Overlay::None,
            _ => {}
        }
        Effects::default()
    }
}
