//! The hand-off (`!`): a picker of the config's tools (strace, lsof, gdb by default), each
//! shown as it would run on the selected task; Enter hands the terminal to it. Starting
//! it is an effect ([`HandOff`]) that app/runner.rs runs, after re-checking the task.

use super::effects::{ActRequest, Effects, HandOff};
use super::overlay::{Overlay, ToolEntry, ToolPicker};
use super::state::App;
use crate::action::Action;
use crate::config::tools::Subst;
use crate::model::RowKind;

/// Why there is no hand-off in a replay.
pub const REPLAY_REFUSAL: &str =
    "replaying a recording: its tasks are history, no tool can be started on them";

impl App {
    pub(super) fn tools_key(&mut self, action: Action) -> Effects {
        let mut fx = Effects::default();
        if action == Action::HandOff {
            if let Some(programs) = self.open_tool_picker() {
                // Looked for on PATH now (a tool may have been installed since the start).
                fx.act = Some(ActRequest::FindTools { programs });
            }
            return fx;
        }
        let Overlay::Tools(p) = &mut self.overlay else {
            return fx;
        };
        match action {
            Action::ToolUp => p.cursor = p.cursor.saturating_sub(1),
            Action::ToolDown => p.cursor = (p.cursor + 1).min(p.entries.len().saturating_sub(1)),
            Action::ToolCancel => {
                self.overlay = Overlay::None;
                self.status = Some("no tool started".into());
            }
            Action::ToolStart => {
                let Some(e) = p.entries.get(p.cursor) else {
                    return fx;
                };
                if e.installed == Some(false) {
                    self.status = Some(format!(
                        "{} is not installed ({} is not on PATH)",
                        e.name, e.program
                    ));
                    return fx;
                }
                fx.hand_off = Some(HandOff {
                    tool: e.name.clone(),
                    argv: e.argv.clone(),
                    shown: e.shown.clone(),
                    words: p.words.clone(),
                    check: p.check.clone(),
                });
                self.overlay = Overlay::None;
            }
            _ => {}
        }
        fx
    }

    /// Opens the picker on the selected thread or process; the programs to look for. A
    /// pool (several threads) or a cgroup row is refused with the reason.
    fn open_tool_picker(&mut self) -> Option<Vec<String>> {
        if self.replay.is_some() {
            self.status = Some(REPLAY_REFUSAL.into());
            return None;
        }
        let Some(c) = self.chosen() else {
            self.status = Some(if self.rows.is_empty() {
                "nothing is selected (no rows yet)".into()
            } else {
                "select a process or a thread to hand to a tool".into()
            });
            return None;
        };
        let (tid, words) = match c.kind {
            RowKind::Thread => (
                c.tid,
                format!("thread {} ({}) of process {}", c.tid, c.name, c.tgid),
            ),
            RowKind::Process => (c.tgid, format!("process {} ({})", c.tgid, c.name)),
            RowKind::Pool => {
                self.status = Some(format!(
                    "pool {} is {} threads: open it (→) and select one for a tool",
                    c.name,
                    c.tasks.len()
                ));
                return None;
            }
            RowKind::Cgroup => return None,
        };
        let m = self.model.as_ref()?;
        let task = m.current.tasks().find(|t| t.tid == tid)?;
        let mut check = vec![task.key()];
        if c.process != task.key() {
            check.push(c.process);
        }
        let s = Subst {
            tid,
            pid: c.tgid,
            comm: task.comm.as_bytes(),
        };
        let entries: Vec<ToolEntry> = self
            .tools
            .iter()
            .map(|t| ToolEntry {
                name: t.name.clone(),
                program: t.program(),
                shown: t.shown(&s),
                argv: t.expand(&s),
                installed: None,
            })
            .collect();
        if entries.is_empty() {
            self.status = Some("no tools: the config's [tools] table is empty".into());
            return None;
        }
        let programs = entries.iter().map(|e| e.program.clone()).collect();
        self.overlay = Overlay::Tools(ToolPicker {
            words,
            tid,
            pid: c.tgid,
            check,
            entries,
            cursor: 0,
        });
        Some(programs)
    }

    /// Which of the picker's programs are on PATH, as looked for (`programs`, in order).
    pub fn tools_found(&mut self, programs: &[String], found: &[bool]) {
        let Overlay::Tools(p) = &mut self.overlay else {
            return;
        };
        if p.entries.len() != found.len()
            || p.entries.iter().zip(programs).any(|(e, w)| e.program != *w)
        {
            return;
        }
        for (e, f) in p.entries.iter_mut().zip(found) {
            e.installed = Some(*f);
        }
        // Start on the first that can run.
        if p.entries
            .get(p.cursor)
            .is_some_and(|e| e.installed == Some(false))
            && let Some(i) = p.entries.iter().position(|e| e.installed == Some(true))
        {
            p.cursor = i;
        }
    }

    /// The tool picker, when open.
    pub fn tool_picker(&self) -> Option<&ToolPicker> {
        match &self.overlay {
            Overlay::Tools(p) => Some(p),
            _ => None,
        }
    }
}
