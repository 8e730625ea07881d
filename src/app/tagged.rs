//! Tagged rows (`m`, htop's Space; `U` untags all): while any row is tagged, a signal, a
//! nice step and an affinity change act on the tagged rows instead of the selected one,
//! after a question that says how many and which. Each task is still re-checked by
//! (TID, start time) in act/ right before acting on it.

use super::effects::{ActRequest, Effects};
use super::overlay::{Confirm, Overlay, SignalPicker};
use super::state::App;
use crate::act::signal::Target;
use crate::action::Action;
use crate::collect::TaskKey;
use crate::model::RowKind;

/// A tagged process or thread row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: TaskKey,
    /// `Process` or `Thread` (a pool row is not taggable: its members change).
    pub kind: RowKind,
    pub tgid: u32,
    pub name: String,
}

impl Tag {
    fn words(&self) -> String {
        match self.kind {
            RowKind::Process => format!("process {} ({})", self.tgid, self.name),
            _ => format!("thread {} ({})", self.key.tid, self.name),
        }
    }
}

/// A tagged row still there: the tag, whom to signal, the tasks it stands for.
type Live<'a> = (&'a Tag, Target, Vec<TaskKey>);

/// Names shown in a question before "and N more": enough to recognise them, one line.
const NAMED: usize = 4;

impl App {
    /// Marks the rows that are tagged (after a rebuild).
    pub(super) fn mark_tagged(&mut self) {
        if self.tagged.is_empty() {
            return;
        }
        for r in &mut self.rows {
            r.tagged = self
                .tagged
                .iter()
                .any(|t| t.key == r.key && t.kind == r.kind);
        }
    }

    pub(super) fn tag_key(&mut self, action: Action) {
        if action == Action::UntagAll {
            let n = self.tagged.len();
            self.tagged.clear();
            self.status = Some(format!("untagged {n}"));
            self.rebuild();
            return;
        }
        let Some(r) = self.rows.get(self.cursor) else {
            return;
        };
        if r.kind == RowKind::Pool {
            self.status = Some("a pool row cannot be tagged: tag its process or threads".into());
            return;
        }
        if let Some(why) = r.unreadable_why {
            self.status = Some(format!(
                "task {} is not readable ({why}): it cannot be re-checked, so not tagged",
                r.tid
            ));
            return;
        }
        let tag = Tag {
            key: r.key,
            kind: r.kind,
            tgid: r.tgid,
            name: r.name.clone(),
        };
        if let Some(i) = self.tagged.iter().position(|t| *t == tag) {
            self.tagged.remove(i);
        } else {
            self.tagged.push(tag);
        }
        self.status = Some(format!(
            "{} tagged: k, +, -, a act on them; U untags all",
            self.tagged.len()
        ));
        self.rebuild();
        // As htop: the selection moves on, so a run of rows is tagged by repeating the key.
        self.move_to(self.cursor + 1);
    }

    /// The tagged rows still there, each with the tasks it stands for; and how many are
    /// gone (exited, or the TID reused: not the task tagged).
    fn tagged_now(&self) -> (Vec<Live<'_>>, usize) {
        let Some(m) = &self.model else {
            return (Vec::new(), self.tagged.len());
        };
        let mut live = Vec::new();
        for t in &self.tagged {
            let Some(p) = m.current.processes.iter().find(|p| p.tgid == t.tgid) else {
                continue;
            };
            match t.kind {
                RowKind::Process if p.key() == t.key => live.push((
                    t,
                    Target::Process(t.key),
                    p.tasks.iter().map(|x| x.key()).collect(),
                )),
                RowKind::Thread if p.tasks.iter().any(|x| x.key() == t.key) => live.push((
                    t,
                    Target::Threads {
                        tgid: t.tgid,
                        tasks: vec![t.key],
                    },
                    vec![t.key],
                )),
                _ => {}
            }
        }
        let gone = self.tagged.len() - live.len();
        (live, gone)
    }

    /// "3 tagged: process 1234 (a), thread 1236 (b), process 99 (c)", with "and N more"
    /// past [`NAMED`].
    fn tagged_words(live: &[Live]) -> String {
        let mut names: Vec<String> = live.iter().take(NAMED).map(|(t, ..)| t.words()).collect();
        if live.len() > NAMED {
            names.push(format!("and {} more", live.len() - NAMED));
        }
        format!("{} tagged: {}", live.len(), names.join(", "))
    }

    pub(super) fn act_on_tagged(&mut self, action: Action) -> Effects {
        let mut fx = Effects::default();
        let (live, gone) = self.tagged_now();
        if live.is_empty() {
            self.status = Some(format!(
                "the {gone} tagged are gone (exited or replaced): nothing to act on; U untags"
            ));
            return fx;
        }
        let words = Self::tagged_words(&live);
        let mut tasks: Vec<TaskKey> = live.iter().flat_map(|(_, _, t)| t.clone()).collect();
        // A process and one of its threads may both be tagged: each task once.
        let mut seen = std::collections::HashSet::new();
        tasks.retain(|k| seen.insert(*k));
        let targets: Vec<Target> = live.iter().map(|(_, t, _)| t.clone()).collect();
        if gone > 0 {
            self.status = Some(format!("{gone} tagged are gone and left out"));
        }
        match action {
            Action::SendSignal => {
                self.last_pick = None;
                self.overlay = Overlay::Signal(SignalPicker {
                    target: words,
                    threads_only: false,
                    to: Target::Many(targets),
                    cursor: 0,
                });
            }
            Action::NicePlus | Action::NiceMinus => {
                self.overlay = Overlay::Confirm(Confirm::Nice {
                    words,
                    tasks,
                    delta: if action == Action::NicePlus { 1 } else { -1 },
                });
            }
            Action::SetAffinity => {
                if let Some(tasks) = self.open_affinity_for(words, tasks) {
                    fx.act = Some(ActRequest::ReadAffinity { tasks });
                }
            }
            _ => {}
        }
        fx
    }
}
