//! The signal picker's keys (`k`, `S`, F9): choose a signal, Enter asks, yes sends.

use super::effects::Effects;
use super::overlay::{Confirm, Overlay, SignalPicker};
use super::state::App;
use crate::act::signal::{SIGNALS, Target};
use crate::action::Action;
use crate::model::RowKind;

impl App {
    pub(super) fn signal_key(&mut self, action: Action) -> Effects {
        match (action, &mut self.overlay) {
            (Action::SendSignal, _) => self.open_signal_picker(),
            (Action::SignalUp, Overlay::Signal(p)) => p.cursor = p.cursor.saturating_sub(1),
            (Action::SignalDown, Overlay::Signal(p)) => {
                p.cursor = (p.cursor + 1).min(SIGNALS.len() - 1)
            }
            (Action::SignalAccept, Overlay::Signal(_)) => {
                if let Overlay::Signal(p) = std::mem::take(&mut self.overlay) {
                    self.overlay = Overlay::Confirm(Confirm::Signal(p));
                }
            }
            (Action::SignalCancel, _) => {
                self.overlay = Overlay::None;
                self.status = Some("no signal sent".into());
            }
            _ => {}
        }
        Effects::default()
    }

    fn open_signal_picker(&mut self) {
        let Some(c) = self.chosen() else { return };
        let (target, to) = match c.kind {
            RowKind::Process => (
                format!("process {} ({})", c.tgid, c.name),
                Target::Process(c.process),
            ),
            RowKind::Thread | RowKind::Pool => (
                if c.kind == RowKind::Thread {
                    format!("thread {} ({})", c.tid, c.name)
                } else {
                    format!(
                        "the {} threads of pool {} in {}",
                        c.tasks.len(),
                        c.name,
                        c.tgid
                    )
                },
                Target::Threads {
                    tgid: c.tgid,
                    tasks: c.tasks,
                },
            ),
            // `chosen` gives none: a cgroup row is no task.
            RowKind::Cgroup => return,
        };
        self.last_pick = None;
        self.overlay = Overlay::Signal(SignalPicker {
            threads_only: c.kind != RowKind::Process,
            target,
            to,
            cursor: 0,
        });
    }
}
