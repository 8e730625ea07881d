//! The CPU picker's keys (`a`): choose the CPUs, Enter asks, the question's yes applies.

use super::effects::Effects;
use super::overlay::{AffinityPicker, Confirm, Overlay};
use super::state::App;
use crate::action::Action;

impl App {
    pub(super) fn affinity_key(&mut self, action: Action) -> Effects {
        if action == Action::SetAffinity {
            self.open_affinity_picker();
            return Effects::default();
        }
        let Overlay::Affinity(p) = &mut self.overlay else {
            return Effects::default();
        };
        match action {
            Action::PickerUp => p.cursor = p.cursor.saturating_sub(1),
            Action::PickerDown => p.cursor = (p.cursor + 1).min(p.cpus.len().saturating_sub(1)),
            Action::PickerToggle => {
                if let Some(&cpu) = p.cpus.get(p.cursor)
                    && !p.chosen.remove(&cpu)
                {
                    p.chosen.insert(cpu);
                }
            }
            Action::PickerAll => p.chosen = p.cpus.iter().copied().collect(),
            Action::PickerNone => p.chosen.clear(),
            Action::PickerAccept if p.chosen.is_empty() => {
                self.status = Some("choose at least one CPU".into());
            }
            Action::PickerAccept => {
                if let Overlay::Affinity(p) = std::mem::take(&mut self.overlay) {
                    self.overlay = Overlay::Confirm(Confirm::Affinity(p));
                }
            }
            Action::PickerCancel => {
                self.overlay = Overlay::None;
                self.status = Some("affinity unchanged".into());
            }
            _ => {}
        }
        Effects::default()
    }

    fn open_affinity_picker(&mut self) {
        let (Some(c), Some(model)) = (self.chosen(), &self.model) else {
            return;
        };
        let Some(row) = self.rows.get(self.cursor) else {
            return;
        };
        let (target, tasks) = (c.threads_words(), c.tasks);
        let mut cpus: Vec<u32> = model.current.system.topology.iter().map(|c| c.id).collect();
        if cpus.is_empty() {
            cpus = model.cpus.iter().map(|c| c.0).collect();
        }
        // Start from what the task allows now, when we know it.
        let chosen = row
            .affinity
            .as_deref()
            .and_then(crate::collect::parse_cpu_list)
            .unwrap_or_else(|| cpus.clone())
            .into_iter()
            .filter(|c| cpus.contains(c))
            .collect();
        self.overlay = Overlay::Affinity(AffinityPicker {
            target,
            tasks,
            cpus,
            chosen,
            cursor: 0,
        });
    }
}
