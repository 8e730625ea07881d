//! `update`: an action in, the state changed, [`Effects`] out for the loop to run. No I/O
//! here: what would touch the system goes out as an [`ActRequest`] (see runner.rs). The
//! overlays' own actions are handled in their files (filter.rs, help.rs, affinity.rs,
//! signal.rs, column_editor.rs, jump.rs, confirm.rs, tools.rs).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::effects::{ActRequest, Effects, ReplayCmd};
use super::overlay::{Confirm, Overlay};
use super::state::{App, INTERVAL_STEPS};
use crate::action::Action;
use crate::collect::TaskKey;
use crate::keymap::{self, Key, Mode};
use crate::model::{RowKind, SortKey};

/// The tasks an action on the selected row acts on.
pub(super) struct Chosen {
    pub kind: RowKind,
    pub tid: u32,
    pub tgid: u32,
    pub name: String,
    /// The process, by its leader's (TID, start time).
    pub process: TaskKey,
    /// Every task the row stands for: the thread, the pool's members, or all threads.
    pub tasks: Vec<TaskKey>,
}

impl Chosen {
    /// "thread 1236 (busy-0)", "all 8 threads of pool worker-# in 1234",
    /// "all 7 threads of name (1234)", or "process 1234 (name)" when it has one thread.
    pub fn threads_words(&self) -> String {
        match self.kind {
            RowKind::Thread => format!("thread {} ({})", self.tid, self.name),
            RowKind::Pool => format!(
                "all {} threads of pool {} in {}",
                self.tasks.len(),
                self.name,
                self.tgid
            ),
            RowKind::Process if self.tasks.len() > 1 => format!(
                "all {} threads of {} ({})",
                self.tasks.len(),
                self.name,
                self.tgid
            ),
            RowKind::Process => format!("process {} ({})", self.tgid, self.name),
            RowKind::Cgroup => format!("cgroup {}", self.name),
        }
    }
}

impl App {
    pub fn handle_key(&mut self, e: &KeyEvent) -> Effects {
        if e.kind == KeyEventKind::Release {
            return Effects::default();
        }
        let key = Key::from_event(e);
        // A message stays until the user does something else.
        self.status = None;
        if let Some(action) = keymap::lookup(self.mode(), key) {
            return self.update(action);
        }
        if let (KeyCode::Char(ch), false) = (e.code, key.ctrl) {
            if self.overlay == Overlay::Filter {
                self.filter_type(ch);
            } else if let Overlay::Jump(text) | Overlay::User(text) = &mut self.overlay {
                text.push(ch);
            } else if self.overlay == Overlay::Search {
                self.search_type(ch);
            }
        }
        Effects::default()
    }

    pub fn update(&mut self, action: Action) -> Effects {
        self.settle();
        let mut fx = Effects::default();
        let page = self.page_height.max(1);
        if let (Some(pane), Mode::Normal) = (self.focus, self.mode()) {
            let lines = self.pane_page(pane);
            let by = match action {
                Action::Up => Some(-1),
                Action::Down => Some(1),
                Action::PageUp => Some(-lines),
                Action::PageDown => Some(lines),
                Action::Home => Some(i64::MIN / 2),
                Action::End => Some(i64::MAX / 2),
                _ => None,
            };
            if let Some(by) = by {
                self.scroll_pane(pane, by);
                return fx;
            }
        }
        match action {
            Action::Up => self.move_to(self.cursor.saturating_sub(1)),
            Action::Down => self.move_to(self.cursor + 1),
            Action::PageUp => self.move_to(self.cursor.saturating_sub(page)),
            Action::PageDown => self.move_to(self.cursor + page),
            Action::Home => self.move_to(0),
            Action::End => self.move_to(usize::MAX),
            Action::ToggleFold => self.toggle_fold_at_cursor(None),
            Action::Expand => self.toggle_fold_at_cursor(Some(false)),
            Action::Collapse => self.toggle_fold_at_cursor(Some(true)),
            Action::FoldAll => {
                if let Some(m) = &self.model {
                    self.opts.folded = m.current.processes.iter().map(|p| p.key()).collect();
                }
                self.rebuild();
            }
            Action::UnfoldAll => {
                self.opts.folded.clear();
                self.rebuild();
            }
            Action::StartFilter
            | Action::ClearFilter
            | Action::FilterCancel
            | Action::FilterAccept
            | Action::FilterBackspace
            | Action::FilterClearLine => return self.filter_key(action),
            Action::SortNext => self.set_sort(self.opts.sort.next()),
            Action::SortPrev => self.set_sort(self.opts.sort.prev()),
            Action::SortByCpu => self.sort_by_cpu(),
            Action::ReverseSort => {
                self.opts.reverse = !self.opts.reverse;
                self.rebuild();
            }
            Action::Follow => {
                if self.follow.take().is_some() {
                    self.status = Some("stopped following".into());
                } else if let Some(s) = self.selected {
                    self.follow = Some(s);
                    self.status = Some(format!("following task {}", s.key.tid));
                }
            }
            Action::HideKernel => {
                self.opts.hide_kernel = !self.opts.hide_kernel;
                self.rebuild();
            }
            Action::ProcessesOnly => {
                self.opts.processes_only = !self.opts.processes_only;
                self.rebuild();
            }
            Action::ToggleTree => {
                self.opts.tree = !self.opts.tree;
                self.rebuild();
            }
            Action::GroupByCgroup => {
                self.opts.by_cgroup = !self.opts.by_cgroup;
                self.status = Some(
                    if self.opts.by_cgroup {
                        "grouped by cgroup"
                    } else {
                        "grouped by process"
                    }
                    .into(),
                );
                self.rebuild();
            }
            Action::Faster | Action::Slower => {
                let i = INTERVAL_STEPS
                    .iter()
                    .position(|d| *d >= self.refresh_interval)
                    .unwrap_or(INTERVAL_STEPS.len() - 1);
                let j = if action == Action::Faster {
                    i.saturating_sub(1)
                } else if INTERVAL_STEPS[i] > self.refresh_interval {
                    i
                } else {
                    (i + 1).min(INTERVAL_STEPS.len() - 1)
                };
                self.refresh_interval = INTERVAL_STEPS[j];
                self.status = Some(format!(
                    "refresh every {}",
                    crate::model::format::duration(self.refresh_interval)
                ));
                fx.interval = Some(self.refresh_interval);
            }
            Action::CycleColumns => {
                self.columns = self.columns.next();
                self.status = Some(format!("{} columns", self.columns.name()));
            }
            Action::EditColumns
            | Action::ColumnsClose
            | Action::ColumnsSave
            | Action::ColumnsUp
            | Action::ColumnsDown
            | Action::ColumnsToggle
            | Action::ColumnsMoveLeft
            | Action::ColumnsMoveRight
            | Action::ColumnsNextSet
            | Action::ColumnsReset => return self.columns_key(action),
            Action::TogglePane(p) => self.toggle_pane(p),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::SetAffinity | Action::SendSignal | Action::NicePlus | Action::NiceMinus
                if self.replay.is_some() =>
            {
                self.status = Some(crate::act::REPLAY_REFUSAL.into());
            }
            Action::SetAffinity | Action::SendSignal | Action::NicePlus | Action::NiceMinus
                if !self.tagged.is_empty() =>
            {
                return self.act_on_tagged(action);
            }
            Action::Tag | Action::UntagAll => self.tag_key(action),
            Action::HandOff if self.replay.is_some() => {
                self.status = Some(super::tools::REPLAY_REFUSAL.into());
            }
            Action::SetAffinity
            | Action::SendSignal
            | Action::NicePlus
            | Action::NiceMinus
            | Action::HandOff
                if let Some(why) = self.selected_row().and_then(|r| r.unreadable_why) =>
            {
                // Nothing to re-check it by (its start time is unknown): refuse, and say so,
                // rather than ask about "process 1 ()" and fail after the yes.
                let r = &self.rows[self.cursor];
                let what = if r.kind == RowKind::Thread {
                    "thread"
                } else {
                    "process"
                };
                self.status = Some(format!(
                    "{what} {} is not readable ({why}): threadtop cannot check it is the task \
                     shown, so it does not act on it",
                    r.tid
                ));
            }
            Action::NicePlus | Action::NiceMinus => {
                let delta = if action == Action::NicePlus { 1 } else { -1 };
                if let Some(c) = self.chosen() {
                    let (words, tasks) = (c.threads_words(), c.tasks);
                    if tasks.len() > 1 {
                        // Every thread of a process or pool: asked first, as a signal is.
                        self.overlay = Overlay::Confirm(Confirm::Nice {
                            words,
                            tasks,
                            delta,
                        });
                    } else {
                        fx.act = Some(ActRequest::Nice {
                            words,
                            tasks,
                            delta,
                        });
                        fx.scan_now = true;
                    }
                }
            }
            Action::SendSignal
            | Action::SignalUp
            | Action::SignalDown
            | Action::SignalAccept
            | Action::SignalCancel => return self.signal_key(action),
            Action::SetAffinity
            | Action::PickerUp
            | Action::PickerDown
            | Action::PickerToggle
            | Action::PickerAll
            | Action::PickerNone
            | Action::PickerAccept
            | Action::PickerCancel => return self.affinity_key(action),
            Action::ConfirmYes | Action::ConfirmNo => return self.confirm_key(action),
            Action::HandOff
            | Action::ToolUp
            | Action::ToolDown
            | Action::ToolStart
            | Action::ToolCancel => return self.tools_key(action),
            // `n` outside a replay, after a search: the next match, as in htop and less.
            Action::ReplayForward if self.replay.is_none() && !self.search_text.is_empty() => {
                return self.search_key(Action::SearchNext);
            }
            Action::Says(words) => self.status = Some(words.into()),
            Action::SortByMemory => {
                // Most memory first, as htop's M.
                self.opts.sort = SortKey::MemPercent;
                self.opts.reverse = !SortKey::MemPercent.descending();
                self.rebuild();
            }
            Action::SortByTime => {
                // Most CPU time first, as htop's T.
                self.opts.sort = SortKey::CpuTime;
                self.opts.reverse = !SortKey::CpuTime.descending();
                self.rebuild();
            }
            Action::StartSearch
            | Action::SearchNext
            | Action::SearchAccept
            | Action::SearchCancel
            | Action::SearchBackspace
            | Action::SearchClearLine => return self.search_key(action),
            Action::PickUser
            | Action::UserNext
            | Action::UserPrev
            | Action::UserAccept
            | Action::UserCancel
            | Action::UserBackspace => return self.user_key(action),
            Action::ReplayPlayPause
            | Action::ReplayBack
            | Action::ReplayForward
            | Action::ReplayBack10
            | Action::ReplayForward10
            | Action::ReplaySpeed
            | Action::ReplayJump
                if self.replay.is_none() =>
            {
                self.status =
                    Some("that key is for replaying a recording (threadtop replay FILE)".into());
            }
            Action::ReplayPlayPause => fx.replay = Some(ReplayCmd::PlayPause),
            Action::ReplayBack => fx.replay = Some(ReplayCmd::Step(-1)),
            Action::ReplayForward => fx.replay = Some(ReplayCmd::Step(1)),
            Action::ReplayBack10 => fx.replay = Some(ReplayCmd::Step(-10)),
            Action::ReplayForward10 => fx.replay = Some(ReplayCmd::Step(10)),
            Action::ReplaySpeed => fx.replay = Some(ReplayCmd::Faster),
            Action::ReplayJump
            | Action::JumpAccept
            | Action::JumpCancel
            | Action::JumpBackspace => return self.jump_key(action),
            Action::Help
            | Action::HelpScrollDown
            | Action::HelpScrollUp
            | Action::HelpTop
            | Action::HelpBottom
            | Action::CloseHelp => {
                return self.help_key(action);
            }
            Action::Quit => self.quit = true,
            Action::Suspend => fx.suspend = true,
        }
        fx
    }

    fn toggle_fold_at_cursor(&mut self, want: Option<bool>) {
        let Some(row) = self.rows.get(self.cursor).cloned() else {
            return;
        };
        if row.kind == RowKind::Pool {
            let open = want.map_or(row.folded, |fold| !fold);
            if open {
                self.opts.open_pools.insert(row.key);
            } else {
                self.opts.open_pools.remove(&row.key);
            }
            self.rebuild();
            return;
        }
        if row.kind == RowKind::Thread {
            // On a thread, folding means its process: go there (and fold it for Enter).
            let process = self
                .rows
                .iter()
                .position(|r| r.kind == RowKind::Process && r.tgid == row.tgid);
            if want != Some(false)
                && let Some(i) = process
            {
                self.move_to(i);
                if want.is_none() {
                    self.toggle_fold_at_cursor(Some(true));
                }
            }
            return;
        }
        if !row.foldable {
            return;
        }
        let fold = want.unwrap_or(!row.folded);
        if fold {
            self.opts.folded.insert(row.key);
        } else {
            self.opts.folded.remove(&row.key);
        }
        self.rebuild();
    }

    pub(super) fn toggle_fold(&mut self) {
        self.toggle_fold_at_cursor(None);
    }

    /// What an action on the selected row would act on.
    pub(super) fn chosen(&self) -> Option<Chosen> {
        let (row, model) = (self.rows.get(self.cursor)?, self.model.as_ref()?);
        let p = model
            .current
            .processes
            .iter()
            .find(|p| p.tgid == row.tgid)?;
        let tasks = match row.kind {
            RowKind::Thread => vec![row.key],
            RowKind::Pool => crate::model::view::pool_members(p, &row.name)
                .map(|t| t.key())
                .collect(),
            RowKind::Process => p.tasks.iter().map(|t| t.key()).collect(),
            // Nothing acts on a whole cgroup: select a process or thread under it.
            RowKind::Cgroup => return None,
        };
        Some(Chosen {
            kind: row.kind,
            tid: row.tid,
            tgid: row.tgid,
            name: row.name.clone(),
            process: p.key(),
            tasks,
        })
    }

    fn set_sort(&mut self, key: SortKey) {
        self.opts.sort = key;
        self.rebuild();
    }

    /// `P`: busiest first, whatever the sort and its direction were (after `--sort tid -r`
    /// it used to keep the reverse and put the idle first).
    fn sort_by_cpu(&mut self) {
        self.opts.sort = SortKey::Cpu;
        self.opts.reverse = false;
        self.rebuild();
    }
}
