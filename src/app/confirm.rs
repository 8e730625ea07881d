//! The yes/no question before an action that changes the system: yes sends the request
//! to the runner, no changes nothing and says so.

use super::effects::{ActRequest, Effects};
use super::overlay::{Confirm, Overlay};
use super::state::App;
use crate::action::Action;

impl App {
    pub(super) fn confirm_key(&mut self, action: Action) -> Effects {
        let mut fx = Effects::default();
        let Overlay::Confirm(question) = std::mem::take(&mut self.overlay) else {
            return fx;
        };
        match (action, question) {
            (Action::ConfirmYes, Confirm::Signal(p)) => {
                fx.act = Some(ActRequest::Signal {
                    signal: p.signal(),
                    target: p.target,
                    to: p.to,
                });
                fx.scan_now = true;
            }
            (Action::ConfirmYes, Confirm::Affinity(p)) => {
                fx.act = Some(ActRequest::Affinity {
                    target: p.target,
                    tasks: p.tasks,
                    cpus: p.chosen.into_iter().collect(),
                });
                fx.scan_now = true;
            }
            (
                Action::ConfirmYes,
                Confirm::Nice {
                    words,
                    tasks,
                    delta,
                },
            ) => {
                fx.act = Some(ActRequest::Nice {
                    words,
                    tasks,
                    delta,
                });
                fx.scan_now = true;
            }
            (_, Confirm::Signal(_)) => self.status = Some("no signal sent".into()),
            (_, Confirm::Nice { .. }) => self.status = Some("nice unchanged".into()),
            (_, Confirm::Affinity(_)) => self.status = Some("affinity unchanged".into()),
        }
        fx
    }
}
