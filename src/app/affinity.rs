//! The CPU picker's keys (`a`): choose the CPUs, Enter asks, the question's yes applies.

use super::effects::{ActRequest, Effects};
use super::overlay::{AffinityPicker, Confirm, Overlay};
use super::state::App;
use crate::action::Action;
use crate::collect::TaskKey;

impl App {
    pub(super) fn affinity_key(&mut self, action: Action) -> Effects {
        if action == Action::SetAffinity {
            let mut fx = Effects::default();
            if let Some(tasks) = self.open_affinity_picker() {
                // The picker starts from what the tasks allow now: read fresh by the runner
                // (the last scan may not have read it, or it changed since).
                fx.act = Some(ActRequest::ReadAffinity { tasks });
            }
            return fx;
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

    /// Opens the picker on the selected row's tasks, nothing ticked until their CPUs are
    /// read; the tasks to read.
    fn open_affinity_picker(&mut self) -> Option<Vec<TaskKey>> {
        let c = self.chosen()?;
        self.open_affinity_for(c.threads_words(), c.tasks)
    }

    /// Opens the picker on `tasks` (the selected row's, or the tagged rows').
    pub(super) fn open_affinity_for(
        &mut self,
        target: String,
        tasks: Vec<TaskKey>,
    ) -> Option<Vec<TaskKey>> {
        let model = self.model.as_ref()?;
        let mut cpus: Vec<u32> = model.current.system.topology.iter().map(|c| c.id).collect();
        if cpus.is_empty() {
            cpus = model.cpus.iter().map(|c| c.0).collect();
        }
        self.overlay = Overlay::Affinity(AffinityPicker {
            target,
            tasks: tasks.clone(),
            cpus,
            chosen: Default::default(),
            cursor: 0,
            now: None,
        });
        Some(tasks)
    }

    /// The CPUs the picker's tasks may run on now, as read: ticked, or why not.
    pub fn affinity_read(&mut self, tasks: &[TaskKey], read: Result<(Vec<u32>, usize), String>) {
        let Overlay::Affinity(p) = &mut self.overlay else {
            return;
        };
        if p.tasks != tasks {
            return;
        }
        match read {
            Ok((now, differ)) => {
                p.chosen = now.iter().copied().filter(|c| p.cpus.contains(c)).collect();
                p.now = Some(Ok(if differ > 0 {
                    format!("{differ} of them differ: all their CPUs are ticked")
                } else {
                    String::new()
                }));
            }
            Err(why) => {
                p.chosen.clear();
                p.now = Some(Err(format!("current CPUs unreadable: {why}")));
            }
        }
    }
}
