//! Everything the UI shows that is not data: selection, scroll, mode, view options.
//! `update` is the only place this state changes in response to the user.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};

use super::column_editor::ColumnEditor;
use crate::act::signal::{self, SIGNALS, SignalInfo};
use crate::action::Action;
use crate::collect::{DetailPlan, Snapshot, TaskKey};
use crate::keymap::{self, Key, Mode};
use crate::model::{Filter, Model, Row, RowKind, SortKey, ViewOptions};
use crate::ui::columns::{Column, ColumnLayout, ColumnSet};
use crate::ui::{Pane, ScreenLayout};

/// Rows (or lines) one notch of the mouse wheel scrolls.
pub const WHEEL_STEP: usize = 3;
/// Two clicks on the same row within this long are a double click (fold or unfold).
pub const DOUBLE_CLICK: Duration = Duration::from_millis(400);

/// What the last frame showed, for the mouse: where everything was drawn, and which rows
/// and columns the table had then, so a click means what was under it.
#[derive(Debug, Clone)]
pub struct DrawnFrame {
    pub layout: ScreenLayout,
    /// The table rows on screen, top to bottom.
    pub rows: Vec<(TaskKey, RowKind)>,
    pub columns: Vec<Column>,
    pub sort: SortKey,
}

/// Refresh intervals the `[` and `]` keys step through.
pub const INTERVAL_STEPS: [Duration; 9] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(3),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub key: TaskKey,
    pub kind: RowKind,
    pub tgid: u32,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    /// The collector must change its tick.
    pub interval: Option<Duration>,
    /// Something changed the system: show the result without waiting a tick.
    pub scan_now: bool,
    pub replay: Option<ReplayCmd>,
}

/// What the replay loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayCmd {
    PlayPause,
    Step(i64),
    Faster,
    Jump(String),
}

/// Where a replay is, for the time bar.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayInfo {
    /// "host 03:12:05  +1m30s of 10m00s  tick 91/601"
    pub position: String,
    /// 0.0 at the first tick, 1.0 at the last.
    pub fraction: f64,
    pub playing: bool,
    pub speed: u32,
}

/// The CPU picker of an affinity change, and the question that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityPicker {
    /// What the user picked, in words: "thread 1236 (busy-0)".
    pub target: String,
    pub tasks: Vec<TaskKey>,
    /// Online CPUs, in id order.
    pub cpus: Vec<u32>,
    pub chosen: std::collections::BTreeSet<u32>,
    pub cursor: usize,
}

/// The signal picker of a `S` press, and the question that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalPicker {
    /// Whom, in words: "process 1234 (name)", "thread 1236 (busy-0)".
    pub target: String,
    /// Some threads of the process (a thread or pool row), not the whole process.
    pub threads_only: bool,
    pub to: signal::Target,
    /// Index into [`SIGNALS`]; SIGTERM, the first, is preselected.
    pub cursor: usize,
}

impl SignalPicker {
    pub fn signal(&self) -> &'static SignalInfo {
        &SIGNALS[self.cursor.min(SIGNALS.len() - 1)]
    }

    /// "Send SIGTERM to process 1234 (name)?", "Send SIGKILL to thread 1236 (busy-0) only?"
    pub fn question(&self) -> String {
        format!(
            "Send {} to {}{}?",
            self.signal().full_name(),
            self.target,
            if self.threads_only { " only" } else { "" }
        )
    }
}

/// The tasks an action on the selected row acts on.
struct Chosen {
    kind: RowKind,
    tid: u32,
    tgid: u32,
    name: String,
    /// The process, by its leader's (TID, start time).
    process: TaskKey,
    /// Every task the row stands for: the thread, the pool's members, or all threads.
    tasks: Vec<TaskKey>,
}

impl Chosen {
    /// "thread 1236 (busy-0)", "all 8 threads of pool worker-# in 1234",
    /// "all 7 threads of name (1234)", or "process 1234 (name)" when it has one thread.
    fn threads_words(&self) -> String {
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
        }
    }
}

pub struct App {
    pub model: Option<Model>,
    pub opts: ViewOptions,
    pub rows: Vec<Row>,
    pub cursor: usize,
    pub offset: usize,
    pub selected: Option<Selection>,
    pub follow: Option<Selection>,
    pub mode: Mode,
    pub filter_text: String,
    pub refresh_interval: Duration,
    /// A one-line message for the footer (errors, "followed task exited", …).
    pub status: Option<String>,
    pub quit: bool,
    /// Table rows that fit on screen, set by the last draw.
    pub page_height: usize,
    /// First help line shown.
    pub help_scroll: u16,
    pub columns: ColumnSet,
    /// The columns of each set, in order (config file, column editor).
    pub column_layout: ColumnLayout,
    /// The column editor, while it is open.
    pub column_editor: Option<ColumnEditor>,
    /// Where the column editor saves: the config file in use, or where one would be read.
    pub config_path: Option<PathBuf>,
    pub show_cpus: bool,
    pub show_placement: bool,
    pub show_shares: bool,
    pub show_explain: bool,
    pub picker: Option<AffinityPicker>,
    pub signal: Option<SignalPicker>,
    /// Where /proc is, for re-checking a task right before acting on it.
    pub proc_root: PathBuf,
    /// Set when replaying a recording: the data is history, nothing may be changed.
    pub replay: Option<ReplayInfo>,
    /// The time typed after `:` in a replay.
    pub jump_text: String,
    /// The pane the arrow and page keys scroll (Tab, or a click); `None`: the table.
    pub focus: Option<Pane>,
    /// Lines each pane is scrolled by, indexed by [`Pane::index`].
    pub pane_scroll: [u16; 4],
    /// The last frame drawn, set by [`App::set_frame`].
    pub frame: Option<DrawnFrame>,
    /// The last left click: when, and on which row (for double clicks).
    last_click: Option<(Instant, TaskKey, RowKind)>,
    /// The last click on a signal in the signal picker (a double click sends it).
    last_pick: Option<(Instant, usize)>,
}

impl App {
    pub fn new(opts: ViewOptions, refresh_interval: Duration) -> Self {
        App {
            model: None,
            opts,
            rows: Vec::new(),
            cursor: 0,
            offset: 0,
            selected: None,
            follow: None,
            mode: Mode::Normal,
            filter_text: String::new(),
            refresh_interval,
            status: None,
            quit: false,
            page_height: 20,
            help_scroll: 0,
            columns: ColumnSet::default(),
            column_layout: ColumnLayout::default(),
            column_editor: None,
            config_path: None,
            show_cpus: false,
            show_placement: false,
            show_shares: false,
            show_explain: false,
            picker: None,
            signal: None,
            proc_root: PathBuf::from("/proc"),
            replay: None,
            jump_text: String::new(),
            focus: None,
            pane_scroll: [0; 4],
            frame: None,
            last_click: None,
            last_pick: None,
        }
    }

    pub fn with_filter_text(mut self, text: &str) -> Self {
        self.filter_text = text.to_string();
        self.opts.filter = Filter::parse(text);
        self
    }

    pub fn on_snapshot(&mut self, snap: Arc<Snapshot>) {
        self.model = Some(match self.model.take() {
            Some(m) => m.advance(snap),
            None => Model::new(None, snap),
        });
        self.rebuild();
    }

    /// Recomputes the rows and puts the selection back on the same task.
    pub fn rebuild(&mut self) {
        let screen_line = self.cursor.saturating_sub(self.offset);
        let Some(model) = &self.model else { return };
        self.rows = model.rows(&self.opts);
        if let Some(f) = self.follow
            && !self.rows.iter().any(|r| r.key == f.key && r.kind == f.kind)
        {
            self.follow_lost(f);
        }
        let wanted = self.follow.or(self.selected);
        let found = wanted.and_then(|s| self.find(s));
        match (wanted, found) {
            (_, Some(i)) => self.cursor = i,
            // Still there but folded away: its process row stands for it. Gone: the cursor
            // stays where it was, on the row that took its place.
            (Some(s), None) => {
                let alive = self
                    .model
                    .as_ref()
                    .is_some_and(|m| m.current.tasks().any(|t| t.key() == s.key));
                if let Some(i) = self
                    .rows
                    .iter()
                    .position(|r| alive && r.kind == RowKind::Process && r.tgid == s.tgid)
                {
                    self.cursor = i;
                }
            }
            (None, None) => self.cursor = 0,
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
        if self.follow.is_some() {
            // Following keeps the task on the same screen line while the list moves.
            self.offset = self.cursor.saturating_sub(screen_line);
        }
        self.remember_selection();
        self.clamp_offset();
    }

    fn follow_lost(&mut self, f: Selection) {
        let Some(model) = &self.model else { return };
        let exists = model.current.tasks().any(|t| t.key() == f.key);
        if !exists {
            self.status = Some(format!("followed task {} has exited", f.key.tid));
            self.follow = None;
            return;
        }
        // Hidden by folding: unfold its process and, in the tree, every ancestor.
        let procs = &model.current.processes;
        let mut tgid = f.tgid;
        let mut unfolded = false;
        for _ in 0..procs.len() {
            let Some(p) = procs.iter().find(|p| p.tgid == tgid) else {
                break;
            };
            unfolded |= self.opts.folded.remove(&p.key());
            if p.ppid == 0 || p.ppid == tgid {
                break;
            }
            tgid = p.ppid;
        }
        if unfolded {
            self.rows = model.rows(&self.opts);
        }
        if !self.rows.iter().any(|r| r.key == f.key && r.kind == f.kind) {
            self.status = Some(format!(
                "followed task {} is hidden by the current view",
                f.key.tid
            ));
            self.follow = None;
        }
    }

    fn find(&self, s: Selection) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| r.key == s.key && r.kind == s.kind)
    }

    fn remember_selection(&mut self) {
        let before = self.selected;
        self.selected = self.rows.get(self.cursor).map(|r| Selection {
            key: r.key,
            kind: r.kind,
            tgid: r.tgid,
        });
        // The panes about the selection show something else now: from their top.
        if before.map(|s| s.tgid) != self.selected.map(|s| s.tgid) {
            for p in [Pane::Placement, Pane::Shares] {
                self.pane_scroll[p.index()] = 0;
            }
        }
        if before.map(|s| s.key) != self.selected.map(|s| s.key) {
            self.pane_scroll[Pane::Explain.index()] = 0;
        }
    }

    fn clamp_offset(&mut self) {
        let page = self.page_height.max(1);
        let max_offset = self.rows.len().saturating_sub(page);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
        self.offset = self.offset.min(max_offset);
    }

    fn move_to(&mut self, index: usize) {
        self.cursor = index.min(self.rows.len().saturating_sub(1));
        if self.follow.is_some() {
            self.follow = None;
            self.status = Some("stopped following".into());
        }
        self.remember_selection();
        self.clamp_offset();
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.cursor)
    }

    /// What the collector should read beyond every task's `stat` and `schedstat`.
    ///
    /// `status` (the expensive file) only where something on screen shows one of its
    /// fields: the rows on screen when a shown column needs it (AFFINITY, VOL/s, INV/s),
    /// the selected process's tasks when the placement pane shows their allowed CPUs, the
    /// explain card's task; every task when the sort needs it. `sched` (exact migrations)
    /// only for the selected process's tasks while the placement pane is open. The rows on
    /// screen are always named (`screen`), so their command lines stay fresh.
    pub fn detail_plan(&self) -> DetailPlan {
        // What the panes need about the selection, whatever else is read.
        let base = DetailPlan {
            sched_tgid: self
                .show_placement
                .then(|| self.selected.map(|s| s.tgid))
                .flatten(),
            share_tgid: (self.show_shares || self.show_explain)
                .then(|| self.selected.map(|s| s.tgid))
                .flatten(),
            explain_tid: self
                .show_explain
                .then(|| self.selected.map(|s| s.key.tid))
                .flatten(),
            pids: self.opts.pids.clone(),
            ..DetailPlan::default()
        };
        if self.opts.sort.needs_detail() {
            return DetailPlan { all: true, ..base };
        }
        let screen_status = self
            .column_layout
            .get(self.columns)
            .iter()
            .any(|c| c.needs_status());
        let Some(model) = &self.model else {
            return DetailPlan {
                screen_status,
                ..base
            };
        };
        let mut tids = HashSet::new();
        // The placement pane shows the selected process's threads' allowed CPUs.
        if self.show_placement
            && let Some(sel) = self.selected
            && let Some(p) = model.current.processes.iter().find(|p| p.tgid == sel.tgid)
        {
            tids.extend(p.tasks.iter().map(|t| t.tid));
        }
        // The explain card says which CPUs its task may run on.
        tids.extend(base.explain_tid);
        let end = (self.offset + self.page_height + 1).min(self.rows.len());
        let on_screen = self.rows.get(self.offset..end).unwrap_or_default();
        // A process row's switches sum its threads' schedstat timeslices, read for every
        // task anyway: asking `status` of all its threads cost 10k reads at 10k threads.
        let screen: HashSet<u32> = on_screen.iter().map(|r| r.tid).collect();
        if screen_status {
            tids.extend(screen.iter().copied());
        }
        DetailPlan {
            tids,
            screen,
            screen_status,
            ..base
        }
    }

    pub fn handle_key(&mut self, e: &KeyEvent) -> Effects {
        if e.kind == KeyEventKind::Release {
            return Effects::default();
        }
        let key = Key::from_event(e);
        // A message stays until the user does something else.
        self.status = None;
        if let Some(action) = keymap::lookup(self.mode, key) {
            return self.update(action);
        }
        if let (KeyCode::Char(ch), false) = (e.code, key.ctrl) {
            match self.mode {
                Mode::Filter => {
                    self.filter_text.push(ch);
                    self.apply_filter();
                }
                Mode::Jump => self.jump_text.push(ch),
                _ => {}
            }
        }
        Effects::default()
    }

    fn apply_filter(&mut self) {
        self.opts.filter = Filter::parse(&self.filter_text);
        self.offset = 0;
        self.rebuild();
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

    pub fn update(&mut self, action: Action) -> Effects {
        let mut fx = Effects::default();
        let page = self.page_height.max(1);
        if let (Some(pane), Mode::Normal) = (self.focus, self.mode) {
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
            Action::StartFilter => self.mode = Mode::Filter,
            Action::ClearFilter | Action::FilterCancel => {
                self.filter_text.clear();
                self.mode = Mode::Normal;
                self.apply_filter();
            }
            Action::FilterAccept => self.mode = Mode::Normal,
            Action::FilterBackspace => {
                self.filter_text.pop();
                self.apply_filter();
            }
            Action::FilterClearLine => {
                self.filter_text.clear();
                self.apply_filter();
            }
            Action::SortNext => self.set_sort(self.opts.sort.next()),
            Action::SortPrev => self.set_sort(self.opts.sort.prev()),
            Action::SortByCpu => self.set_sort(SortKey::Cpu),
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
                    crate::ui::format::duration(self.refresh_interval)
                ));
                fx.interval = Some(self.refresh_interval);
            }
            Action::CycleColumns => {
                self.columns = self.columns.next();
                self.status = Some(format!("{} columns", self.columns.name()));
            }
            Action::EditColumns => {
                self.column_editor = Some(ColumnEditor::new(self.columns));
                self.mode = Mode::Columns;
            }
            Action::ColumnsClose => {
                self.column_editor = None;
                self.mode = Mode::Normal;
            }
            Action::ColumnsSave => self.status = Some(self.save_columns()),
            Action::ColumnsUp
            | Action::ColumnsDown
            | Action::ColumnsToggle
            | Action::ColumnsMoveLeft
            | Action::ColumnsMoveRight
            | Action::ColumnsNextSet
            | Action::ColumnsReset => {
                if let Some(e) = &mut self.column_editor {
                    let layout = &mut self.column_layout;
                    match action {
                        Action::ColumnsUp => e.up(),
                        Action::ColumnsDown => e.down(),
                        Action::ColumnsToggle => e.toggle(layout),
                        Action::ColumnsMoveLeft => e.shift(layout, true),
                        Action::ColumnsMoveRight => e.shift(layout, false),
                        Action::ColumnsNextSet => e.switch_set(),
                        _ => e.reset(layout),
                    }
                    // The table behind shows the set being edited.
                    self.columns = e.set;
                }
            }
            Action::ToggleCpuPane => self.toggle_pane(Pane::Cpus),
            Action::TogglePlacement => self.toggle_pane(Pane::Placement),
            Action::ToggleShares => self.toggle_pane(Pane::Shares),
            Action::ToggleExplain => self.toggle_pane(Pane::Explain),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::SetAffinity | Action::SendSignal | Action::NicePlus | Action::NiceMinus
                if self.replay.is_some() =>
            {
                self.status = Some(crate::act::REPLAY_REFUSAL.into());
            }
            Action::SetAffinity => self.open_affinity_picker(),
            Action::SendSignal => self.open_signal_picker(),
            Action::NicePlus | Action::NiceMinus => {
                let delta = if action == Action::NicePlus { 1 } else { -1 };
                if self.change_nice(delta) {
                    fx.scan_now = true;
                }
            }
            Action::SignalUp | Action::SignalDown => {
                if let Some(p) = &mut self.signal {
                    p.cursor = if action == Action::SignalUp {
                        p.cursor.saturating_sub(1)
                    } else {
                        (p.cursor + 1).min(SIGNALS.len() - 1)
                    };
                }
            }
            Action::SignalAccept => {
                self.mode = if self.signal.is_some() {
                    Mode::Confirm
                } else {
                    Mode::Normal
                };
            }
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
            Action::ReplayJump => {
                self.jump_text.clear();
                self.mode = Mode::Jump;
            }
            Action::JumpAccept => {
                self.mode = Mode::Normal;
                fx.replay = Some(ReplayCmd::Jump(std::mem::take(&mut self.jump_text)));
            }
            Action::JumpCancel => {
                self.mode = Mode::Normal;
                self.jump_text.clear();
            }
            Action::JumpBackspace => {
                self.jump_text.pop();
            }
            Action::PickerUp | Action::PickerDown => {
                if let Some(p) = &mut self.picker {
                    p.cursor = if action == Action::PickerUp {
                        p.cursor.saturating_sub(1)
                    } else {
                        (p.cursor + 1).min(p.cpus.len().saturating_sub(1))
                    };
                }
            }
            Action::PickerToggle => {
                if let Some(p) = &mut self.picker
                    && let Some(&cpu) = p.cpus.get(p.cursor)
                    && !p.chosen.remove(&cpu)
                {
                    p.chosen.insert(cpu);
                }
            }
            Action::PickerAll => {
                if let Some(p) = &mut self.picker {
                    p.chosen = p.cpus.iter().copied().collect();
                }
            }
            Action::PickerNone => {
                if let Some(p) = &mut self.picker {
                    p.chosen.clear();
                }
            }
            Action::PickerAccept => match &self.picker {
                Some(p) if p.chosen.is_empty() => {
                    self.status = Some("choose at least one CPU".into());
                }
                Some(_) => self.mode = Mode::Confirm,
                None => self.mode = Mode::Normal,
            },
            Action::SignalCancel => {
                self.signal = None;
                self.mode = Mode::Normal;
                self.status = Some("no signal sent".into());
            }
            Action::ConfirmNo if self.signal.is_some() => {
                self.signal = None;
                self.mode = Mode::Normal;
                self.status = Some("no signal sent".into());
            }
            Action::PickerCancel | Action::ConfirmNo => {
                self.picker = None;
                self.mode = Mode::Normal;
                self.status = Some("affinity unchanged".into());
            }
            Action::ConfirmYes => {
                if let Some(p) = self.signal.take() {
                    self.status = Some(self.send_signal(&p));
                    fx.scan_now = true;
                } else if let Some(p) = self.picker.take() {
                    let cpus: Vec<u32> = p.chosen.iter().copied().collect();
                    let list = crate::act::affinity::describe(&cpus);
                    self.status = Some(
                        match crate::act::affinity::set(&self.proc_root, &p.tasks, &cpus) {
                            Ok(n) => format!("{} may now run on CPUs {list} ({n} set)", p.target),
                            Err(why) => format!("could not set affinity: {why}"),
                        },
                    );
                    fx.scan_now = true;
                }
                self.mode = Mode::Normal;
            }
            Action::Help => {
                self.mode = Mode::Help;
                self.help_scroll = 0;
            }
            Action::HelpScrollDown => {
                self.help_scroll = self.help_scroll.saturating_add(page as u16 / 2).min(200)
            }
            Action::HelpScrollUp => {
                self.help_scroll = self.help_scroll.saturating_sub(page as u16 / 2)
            }
            Action::CloseHelp => self.mode = Mode::Normal,
            Action::Quit => self.quit = true,
        }
        fx
    }

    /// What an action on the selected row would act on.
    fn chosen(&self) -> Option<Chosen> {
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

    fn open_signal_picker(&mut self) {
        let Some(c) = self.chosen() else { return };
        let (target, to) = match c.kind {
            RowKind::Process => (
                format!("process {} ({})", c.tgid, c.name),
                signal::Target::Process(c.process),
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
                signal::Target::Threads {
                    tgid: c.tgid,
                    tasks: c.tasks,
                },
            ),
        };
        self.last_pick = None;
        self.signal = Some(SignalPicker {
            threads_only: c.kind != RowKind::Process,
            target,
            to,
            cursor: 0,
        });
        self.mode = Mode::Signal;
    }

    /// Sends the chosen signal; the footer message saying what happened.
    /// Writes both column sets to the config file; the message for the footer.
    fn save_columns(&self) -> String {
        let Some(path) = &self.config_path else {
            return "cannot save: no config directory (set XDG_CONFIG_HOME or HOME)".into();
        };
        match crate::act::save_columns::save_columns(
            path,
            &self.column_layout,
            crate::config::DEFAULT_CONFIG,
        ) {
            Ok(()) => format!(
                "columns saved to {}",
                crate::text::escape(path.as_os_str().as_encoded_bytes())
            ),
            Err(e) => format!("columns not saved: {}", crate::text::escape(e.as_bytes())),
        }
    }

    fn send_signal(&self, p: &SignalPicker) -> String {
        let sig = p.signal();
        match signal::send(&self.proc_root, &p.to, sig) {
            Ok(sent) if sent.gone > 0 => format!(
                "sent {} to {} of {} ({} had exited)",
                sig.full_name(),
                sent.signalled,
                p.target,
                sent.gone
            ),
            Ok(_) => format!("sent {} to {}", sig.full_name(), p.target),
            Err(why) => format!("could not send {}: {why}", sig.full_name()),
        }
    }

    /// Nice +1 or -1 for the selected row's tasks; says what happened in the footer.
    /// Whether anything was attempted.
    fn change_nice(&mut self, delta: i32) -> bool {
        use crate::act::nice;
        let Some(c) = self.chosen() else { return false };
        let words = c.threads_words();
        self.status = Some(match nice::step(&self.proc_root, &c.tasks, delta) {
            Ok(r) if r.changed == 0 => format!(
                "{words}: already at nice {}, the {}",
                nice::describe(r.now),
                if delta > 0 { "highest" } else { "lowest" }
            ),
            Ok(r) => {
                let mut msg = format!(
                    "{words}: nice {} → {}",
                    nice::describe(r.was),
                    nice::describe(r.now)
                );
                if r.at_limit > 0 {
                    msg.push_str(&format!(" ({} already at the limit)", r.at_limit));
                }
                if r.gone > 0 {
                    msg.push_str(&format!(" ({} had exited)", r.gone));
                }
                msg
            }
            Err(why) => format!("could not change nice: {why}"),
        });
        true
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
        self.picker = Some(AffinityPicker {
            target,
            tasks,
            cpus,
            chosen,
            cursor: 0,
        });
        self.mode = Mode::Affinity;
    }

    fn set_sort(&mut self, key: SortKey) {
        if self.opts.sort == key && key == SortKey::Cpu {
            // "sort by CPU" again puts the busiest first again.
            self.opts.reverse = false;
        }
        self.opts.sort = key;
        self.rebuild();
    }
}

impl App {
    /// Replaces the data wholesale (a replay jumping in time), keeping the view settings
    /// and the selected task.
    pub fn set_model(&mut self, model: Model) {
        self.model = Some(model);
        self.rebuild();
    }

    /// Called before each draw with how many table rows fit now.
    pub fn set_page_height(&mut self, h: usize) {
        if h != self.page_height {
            self.page_height = h.max(1);
            self.clamp_offset();
        }
    }

    /// Called right before each draw with the layout it draws ([`crate::ui::layout`] of
    /// this state at the screen's size): sets the page height, clamps the panes' scrolling,
    /// takes the focus back from a pane left out for lack of room, and remembers what is
    /// where for the mouse.
    pub fn set_frame(&mut self, layout: ScreenLayout) {
        self.set_page_height(crate::ui::tree::page_height(layout.table.height));
        if let Some(p) = self.focus
            && layout.pane(p).is_none()
        {
            self.focus = None;
        }
        for a in &layout.panes {
            let s = &mut self.pane_scroll[a.pane.index()];
            *s = (*s).min(a.max_scroll);
        }
        let end = (self.offset + self.page_height).min(self.rows.len());
        self.frame = Some(DrawnFrame {
            rows: self
                .rows
                .get(self.offset.min(end)..end)
                .unwrap_or_default()
                .iter()
                .map(|r| (r.key, r.kind))
                .collect(),
            columns: self.column_layout.get(self.columns).to_vec(),
            sort: self.opts.sort,
            layout,
        });
    }

    fn pane_shown(&self, pane: Pane) -> bool {
        match pane {
            Pane::Cpus => self.show_cpus,
            Pane::Placement => self.show_placement,
            Pane::Shares => self.show_shares,
            Pane::Explain => self.show_explain,
        }
    }

    fn toggle_pane(&mut self, pane: Pane) {
        let show = !self.pane_shown(pane);
        match pane {
            Pane::Cpus => self.show_cpus = show,
            Pane::Placement => self.show_placement = show,
            Pane::Shares => self.show_shares = show,
            Pane::Explain => self.show_explain = show,
        }
        self.pane_scroll[pane.index()] = 0;
        if !show && self.focus == Some(pane) {
            self.focus = None;
        }
    }

    /// The panes on screen, in order: those the last frame drew, else those open.
    fn panes_on_screen(&self) -> Vec<Pane> {
        match &self.frame {
            Some(f) => f
                .layout
                .panes
                .iter()
                .map(|a| a.pane)
                .filter(|p| self.pane_shown(*p))
                .collect(),
            None => Pane::ALL
                .into_iter()
                .filter(|p| self.pane_shown(*p))
                .collect(),
        }
    }

    /// Tab / Shift-Tab: the table, then each pane on screen, and round again.
    fn cycle_focus(&mut self, step: i64) {
        let mut order: Vec<Option<Pane>> = vec![None];
        order.extend(self.panes_on_screen().into_iter().map(Some));
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0) as i64;
        let n = order.len() as i64;
        self.focus = order[(at + step).rem_euclid(n) as usize];
        self.status = Some(match self.focus {
            Some(p) => format!("{} pane focused: arrows and the wheel scroll it", p.name()),
            None => "table focused".into(),
        });
    }

    /// Lines a page of `pane` scrolls: what it shows at once.
    fn pane_page(&self, pane: Pane) -> i64 {
        self.frame
            .as_ref()
            .and_then(|f| f.layout.pane(pane))
            .map_or(1, |a| i64::from(a.rect.height.saturating_sub(3)).max(1))
    }

    /// Scrolls `pane` by `by` lines, within what the last frame says it has.
    fn scroll_pane(&mut self, pane: Pane, by: i64) {
        let max = self
            .frame
            .as_ref()
            .and_then(|f| f.layout.pane(pane))
            .map_or(u16::MAX, |a| a.max_scroll);
        let s = &mut self.pane_scroll[pane.index()];
        *s = (i64::from(*s) + by).clamp(0, i64::from(max)) as u16;
    }

    /// Moves the table's viewport by `by` rows; the selection stays on screen (dragged
    /// along only when it would scroll out of view).
    fn scroll_table(&mut self, by: i64) {
        let page = self.page_height.max(1);
        let max_offset = self.rows.len().saturating_sub(page);
        let offset = (self.offset as i64 + by).clamp(0, max_offset as i64) as usize;
        if offset == self.offset {
            return;
        }
        self.offset = offset;
        let cursor = self
            .cursor
            .clamp(offset, offset + page - 1)
            .min(self.rows.len().saturating_sub(1));
        if cursor != self.cursor {
            self.move_to(cursor);
        }
    }

    /// A mouse event, on the screen the last [`App::set_frame`] described.
    pub fn handle_mouse(&mut self, e: &MouseEvent) -> Effects {
        self.handle_mouse_at(e, Instant::now())
    }

    /// As [`App::handle_mouse`], at time `now` (for double clicks).
    pub fn handle_mouse_at(&mut self, e: &MouseEvent, now: Instant) -> Effects {
        let fx = Effects::default();
        let Some(frame) = &self.frame else { return fx };
        if frame.layout.too_small {
            return fx;
        }
        let wheel = match e.kind {
            MouseEventKind::ScrollDown => WHEEL_STEP as i64,
            MouseEventKind::ScrollUp => -(WHEEL_STEP as i64),
            MouseEventKind::Down(MouseButton::Left) => 0,
            // Releases, motion, other buttons: nothing.
            _ => return fx,
        };
        self.status = None;
        let at = ratatui::layout::Position {
            x: e.column,
            y: e.row,
        };
        let in_table = frame.layout.table.contains(at);
        let pane = frame.layout.pane_at(e.column, e.row).map(|a| a.pane);
        match self.mode {
            Mode::Help if wheel > 0 => {
                self.help_scroll = self.help_scroll.saturating_add(wheel as u16).min(200);
            }
            Mode::Help => self.help_scroll = self.help_scroll.saturating_sub((-wheel) as u16),
            // The wheel walks the column editor's list, as ↑ ↓ do; clicks there do nothing.
            Mode::Columns if wheel != 0 => {
                return self.update(if wheel > 0 {
                    Action::ColumnsDown
                } else {
                    Action::ColumnsUp
                });
            }
            Mode::Columns => {}
            Mode::Signal | Mode::Affinity => return self.mouse_in_picker(wheel, at, now),
            // Questions and the time prompt answer keys only.
            Mode::Confirm | Mode::Jump => {}
            Mode::Normal | Mode::Filter => match (wheel, in_table, pane) {
                (0, true, _) => {
                    self.focus = None;
                    self.click_table(e.column, e.row, now);
                }
                (0, false, Some(p)) => self.focus = Some(p),
                (_, true, _) if wheel != 0 => self.scroll_table(wheel),
                (_, false, Some(p)) if wheel != 0 => self.scroll_pane(p, wheel),
                _ => {}
            },
        }
        fx
    }

    /// The wheel moves a picker's cursor; a click on a signal selects it (a double click
    /// sends it, after the usual question), a click on a CPU toggles it.
    fn mouse_in_picker(
        &mut self,
        wheel: i64,
        at: ratatui::layout::Position,
        now: Instant,
    ) -> Effects {
        let signal = self.mode == Mode::Signal;
        if wheel != 0 {
            let action = match (signal, wheel > 0) {
                (true, true) => Action::SignalDown,
                (true, false) => Action::SignalUp,
                (false, true) => Action::PickerDown,
                (false, false) => Action::PickerUp,
            };
            return self.update(action);
        }
        let Some(frame) = &self.frame else {
            return Effects::default();
        };
        let area = frame.layout.table;
        if signal {
            let Some(p) = &mut self.signal else {
                return Effects::default();
            };
            let list =
                crate::ui::PickerList::new(area, crate::ui::signal::WIDTH, SIGNALS.len(), p.cursor);
            let Some(i) = list.at(at.x, at.y).filter(|&i| i < SIGNALS.len()) else {
                return Effects::default();
            };
            p.cursor = i;
            let double = self
                .last_pick
                .is_some_and(|(t, j)| j == i && now.duration_since(t) <= DOUBLE_CLICK);
            if double {
                self.last_pick = None;
                return self.update(Action::SignalAccept);
            }
            self.last_pick = Some((now, i));
        } else if let Some(p) = &mut self.picker {
            let list = crate::ui::PickerList::new(
                area,
                crate::ui::affinity::WIDTH,
                p.cpus.len(),
                p.cursor,
            );
            if let Some(i) = list.at(at.x, at.y).filter(|&i| i < p.cpus.len()) {
                p.cursor = i;
                return self.update(Action::PickerToggle);
            }
        }
        Effects::default()
    }

    /// A left click in the table: a column header sorts (the sort column again reverses
    /// it), a row is selected, its fold mark or a double click folds or unfolds it.
    fn click_table(&mut self, x: u16, y: u16, now: Instant) {
        let Some(frame) = &self.frame else { return };
        let table = frame.layout.table;
        if y == table.y {
            self.last_click = None;
            let Some(key) = crate::ui::tree::header_sort_at(
                &frame.columns,
                table.width,
                frame.sort,
                x - table.x,
            ) else {
                return;
            };
            if key == self.opts.sort {
                self.opts.reverse = !self.opts.reverse;
            } else {
                self.opts.sort = key;
                self.opts.reverse = false;
            }
            self.rebuild();
            return;
        }
        let line = usize::from(y - table.y - 1);
        let Some(&(key, kind)) = frame.rows.get(line) else {
            return;
        };
        let name_x =
            table.x + crate::ui::tree::name_column_x(&frame.columns, table.width, frame.sort);
        // The row may have moved since it was drawn: find it by identity.
        let Some(i) = self
            .rows
            .iter()
            .position(|r| r.key == key && r.kind == kind)
        else {
            return;
        };
        let row = &self.rows[i];
        let glyph_x = name_x + crate::ui::tree::fold_mark_x(row);
        let on_mark = row.kind == RowKind::Pool || (row.kind == RowKind::Process && row.foldable);
        let on_mark = on_mark && (glyph_x..glyph_x + 2).contains(&x);
        let double = self.last_click.is_some_and(|(t, k, kd)| {
            k == key && kd == kind && now.duration_since(t) <= DOUBLE_CLICK
        });
        if i != self.cursor {
            self.move_to(i);
        }
        if on_mark || double {
            self.last_click = None;
            self.toggle_fold_at_cursor(None);
        } else {
            self.last_click = Some((now, key, kind));
        }
    }
}
