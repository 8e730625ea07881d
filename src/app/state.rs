//! Everything the UI shows that is not data: selection, scroll, the overlay, view options.
//! `update` (update.rs and the overlay files) is the only place this state changes in
//! response to the user; it does no I/O and returns [`Effects`] for the loop to run.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Frame;

use super::column_editor::ColumnEditor;
use super::overlay::{AffinityPicker, Confirm, Overlay, SignalPicker};
use crate::collect::{DetailPlan, Snapshot, TaskKey};
use crate::keymap::Mode;
use crate::model::columns::{Column, ColumnLayout, ColumnSet};
use crate::model::derived::Derived;
use crate::model::{Filter, Model, Row, RowKind, SortKey, ViewOptions};
use crate::ui::theme::Theme;
use crate::ui::timebar::ReplayInfo;
use crate::ui::{self, Pane, PaneStates, ScreenLayout};

pub use super::effects::{ActRequest, Effects, ReplayCmd};

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

pub struct App {
    pub model: Option<Model>,
    pub opts: ViewOptions,
    pub rows: Vec<Row>,
    pub cursor: usize,
    pub offset: usize,
    pub selected: Option<Selection>,
    pub follow: Option<Selection>,
    /// What is over the table (or has the keys): at most one thing at a time.
    pub overlay: Overlay,
    /// The filter as typed (the view option is parsed from it).
    pub filter_text: String,
    /// The search as typed (F3): it moves the cursor and hides nothing.
    pub search_text: String,
    /// The tagged rows (`m`), in the order tagged: see app/tagged.rs.
    pub tagged: Vec<super::tagged::Tag>,
    pub refresh_interval: Duration,
    /// A one-line message for the footer (errors, "followed task exited", …).
    pub status: Option<String>,
    pub quit: bool,
    /// The rows do not reflect the view options yet (typed filter keys): see [`App::settle`].
    pub(super) rows_stale: bool,
    /// Table rows that fit on screen, set by the last draw.
    pub page_height: usize,
    pub columns: ColumnSet,
    /// The columns of each set, in order (config file, column editor).
    pub column_layout: ColumnLayout,
    /// Where the column editor saves: the config file in use, or where one would be read.
    pub config_path: Option<PathBuf>,
    /// Which panes are open and how far each is scrolled.
    pub panes: PaneStates,
    /// What the open panes show about the selection, computed when the data or the
    /// selection changes (not per frame).
    pub derived: Derived,
    /// Local time's offset from UTC, s: the explain card gives the worst wait's time of
    /// day in local time. Read at start (a render test sets it).
    pub utc_offset_secs: i64,
    /// Where /proc is, for re-checking a task right before acting on it.
    pub proc_root: PathBuf,
    /// Set when replaying a recording: the data is history, nothing may be changed.
    pub replay: Option<ReplayInfo>,
    /// The pane the arrow and page keys scroll (Tab, or a click); `None`: the table.
    pub focus: Option<Pane>,
    /// The last frame drawn, set by [`App::set_frame`].
    pub frame: Option<DrawnFrame>,
    /// The last left click: when, and on which row (for double clicks).
    pub(super) last_click: Option<(Instant, TaskKey, RowKind)>,
    /// The last click on a signal in the signal picker (a double click sends it).
    pub(super) last_pick: Option<(Instant, usize)>,
    /// The tools `!` offers (the config's `[tools]`, else strace, lsof, gdb).
    pub tools: Vec<crate::config::tools::Tool>,
}

fn local_offset_now() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::record::time::local_offset_secs(now)
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
            overlay: Overlay::None,
            filter_text: String::new(),
            search_text: String::new(),
            tagged: Vec::new(),
            refresh_interval,
            status: None,
            quit: false,
            rows_stale: false,
            page_height: 20,
            columns: ColumnSet::default(),
            column_layout: ColumnLayout::default(),
            config_path: None,
            panes: PaneStates::default(),
            derived: Derived::default(),
            utc_offset_secs: local_offset_now(),
            proc_root: PathBuf::from("/proc"),
            replay: None,
            focus: None,
            frame: None,
            last_click: None,
            last_pick: None,
            tools: crate::config::tools::defaults(),
        }
    }

    pub fn with_filter_text(mut self, text: &str) -> Self {
        self.filter_text = text.to_string();
        self.opts.filter = Filter::parse(text);
        self
    }

    /// The key table's mode: what the overlay is.
    pub fn mode(&self) -> Mode {
        self.overlay.mode()
    }

    /// The signal picker, open or asking its question.
    pub fn signal_picker(&self) -> Option<&SignalPicker> {
        match &self.overlay {
            Overlay::Signal(p) | Overlay::Confirm(Confirm::Signal(p)) => Some(p),
            _ => None,
        }
    }

    /// The CPU picker, open or asking its question.
    pub fn affinity_picker(&self) -> Option<&AffinityPicker> {
        match &self.overlay {
            Overlay::Affinity(p) | Overlay::Confirm(Confirm::Affinity(p)) => Some(p),
            _ => None,
        }
    }

    pub fn column_editor(&self) -> Option<&ColumnEditor> {
        match &self.overlay {
            Overlay::Columns(e) => Some(e),
            _ => None,
        }
    }

    pub fn on_snapshot(&mut self, snap: Arc<Snapshot>) {
        let why = self.wants_why();
        self.model = Some(match self.model.take() {
            Some(m) => m.advance_with(snap, why),
            None => Model::new_with(None, snap, why),
        });
        self.rebuild();
    }

    /// Whether something shown needs the breakdowns and verdicts (or the sampled waits
    /// behind them): the WHY column or sort, the why pane, the explain card.
    fn wants_why(&self) -> bool {
        self.panes.needs().waits || self.shows_or_sorts(|c| c == Column::Why)
    }

    /// The model's breakdowns, computed now if something shown needs them and the model
    /// was built without (the pane or column was just opened).
    fn ensure_why(&mut self) {
        if self.wants_why()
            && let Some(m) = &mut self.model
        {
            m.ensure_why();
        }
    }

    /// Brings the rows up to date with what was typed: the loop calls it once after the
    /// events waiting were handled, and every action and frame starts with it.
    pub fn settle(&mut self) {
        if self.rows_stale {
            self.rebuild();
        }
    }

    /// Recomputes the rows and puts the selection back on the same task.
    pub fn rebuild(&mut self) {
        self.rows_stale = false;
        self.ensure_why();
        let screen_line = self.cursor.saturating_sub(self.offset);
        let Some(model) = &self.model else { return };
        self.rows = model.rows(&self.opts);
        self.derived.cgroups = crate::model::derived::CgroupView::compute(model, &self.rows);
        self.mark_tagged();
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

    pub(super) fn remember_selection(&mut self) {
        let before = self.selected;
        self.selected = self.rows.get(self.cursor).map(|r| Selection {
            key: r.key,
            kind: r.kind,
            tgid: r.tgid,
        });
        // The panes about the selection show something else now: from their top.
        self.panes.selection_changed(
            before.map(|s| s.tgid) != self.selected.map(|s| s.tgid),
            before.map(|s| s.key) != self.selected.map(|s| s.key),
        );
        self.derive();
    }

    /// Recomputes what the open panes show about the selection (the explain card, the
    /// share matrix): when the data, the selection or the open panes change.
    pub(super) fn derive(&mut self) {
        self.ensure_why();
        let cgroups = std::mem::take(&mut self.derived.cgroups);
        self.derived = match &self.model {
            Some(m) => Derived::compute(
                &m.current,
                self.rows.get(self.cursor),
                self.panes.is_open(Pane::Explain),
                self.panes.is_open(Pane::Shares),
                self.utc_offset_secs,
            ),
            None => Derived::default(),
        };
        self.derived.cgroups = cgroups;
        if let (Some(m), Some(card), Some(row)) = (
            &self.model,
            self.derived.explain.as_mut(),
            self.rows.get(self.cursor),
        ) {
            crate::model::derived::lead_with_verdict(card, m, row);
        }
        if let (Some(m), Some(row), true) = (
            &self.model,
            self.rows.get(self.cursor),
            self.panes.is_open(Pane::Why),
        ) {
            self.derived.why = crate::model::derived::why_view(m, row.tgid);
        }
        self.derive_cgroup_card();
    }

    /// The explain card's cgroup lines (its cgroup, the limit, throttling), after the
    /// task's own.
    fn derive_cgroup_card(&mut self) {
        if let (Some(m), Some(card), Some(row)) = (
            &self.model,
            self.derived.explain.as_mut(),
            self.rows.get(self.cursor),
        ) {
            card.extend(crate::model::derived::cgroup_card(m, row));
        }
    }

    pub(super) fn clamp_offset(&mut self) {
        let page = self.page_height.max(1);
        let max_offset = self.rows.len().saturating_sub(page);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
        self.offset = self.offset.min(max_offset);
    }

    pub(super) fn move_to(&mut self, index: usize) {
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
    /// A column shown in the current set, or the sort key, asks for this.
    fn shows_or_sorts(&self, needs: fn(Column) -> bool) -> bool {
        needs(self.opts.sort)
            || self
                .column_layout
                .get(self.columns)
                .iter()
                .any(|c| needs(*c))
    }

    pub fn detail_plan(&self) -> DetailPlan {
        // What the open panes need about the selection, whatever else is read.
        let needs = self.panes.needs();
        let tgid = self.selected.map(|s| s.tgid);
        let base = DetailPlan {
            sched_tgid: tgid.filter(|_| needs.process_sched),
            share_tgid: tgid.filter(|_| needs.process_shares),
            explain_tid: self
                .selected
                .map(|s| s.key.tid)
                .filter(|_| needs.task_explain),
            pids: self.opts.pids.clone(),
            memory: self.shows_or_sorts(Column::needs_statm),
            io: self.shows_or_sorts(Column::needs_io),
            no_waits: !self.wants_why(),
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
        if needs.process_status
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
        // A process's or pool's verdict (WHY, the why pane, the explain card) is about all
        // its threads: their waits are sampled too, not only the rows drawn.
        let mut why_tgids: Vec<u32> = on_screen
            .iter()
            .filter(|r| matches!(r.kind, RowKind::Process | RowKind::Pool))
            .map(|r| r.tgid)
            .chain(self.selected.map(|s| s.tgid))
            .collect();
        why_tgids.sort_unstable();
        why_tgids.dedup();
        DetailPlan {
            tids,
            screen,
            screen_status,
            why_tgids,
            ..base
        }
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

    /// What the next frame shows, borrowed from this state.
    pub fn view(&self, theme: Theme) -> ui::View<'_> {
        let mode = self.mode();
        let overlay = match &self.overlay {
            Overlay::Help { scroll } => ui::Overlay::Help { scroll: *scroll },
            Overlay::Affinity(p) | Overlay::Confirm(Confirm::Affinity(p)) => {
                ui::Overlay::Affinity(ui::affinity::AffinityPane {
                    picker: ui::affinity::AffinityPicker {
                        target: &p.target,
                        cpus: &p.cpus,
                        chosen: &p.chosen,
                        cursor: p.cursor,
                        now: p
                            .now
                            .as_ref()
                            .map(|r| r.as_ref().map(String::as_str).map_err(String::as_str)),
                    },
                    confirming: mode == Mode::Confirm,
                    theme,
                })
            }
            Overlay::Signal(p) | Overlay::Confirm(Confirm::Signal(p)) => {
                ui::Overlay::Signal(ui::signal::SignalPane {
                    picker: ui::signal::SignalPicker {
                        target: &p.target,
                        threads_only: p.threads_only,
                        cursor: p.cursor,
                        question: p.question(),
                    },
                    confirming: mode == Mode::Confirm,
                    theme,
                })
            }
            Overlay::Columns(e) => ui::Overlay::Columns(ui::column_editor::ColumnEditorPane {
                set: e.set,
                cursor: e.cursor,
                layout: &self.column_layout,
                theme,
            }),
            Overlay::Confirm(q @ Confirm::Nice { .. }) => {
                ui::Overlay::Question(ui::question::QuestionPane {
                    title: " Confirm nice ",
                    question: q.question(),
                    theme,
                })
            }
            Overlay::Tools(p) => ui::Overlay::Tools(ui::tools::ToolPane {
                words: &p.words,
                tid: p.tid,
                pid: p.pid,
                entries: p
                    .entries
                    .iter()
                    .map(|e| ui::tools::ToolLine {
                        name: &e.name,
                        shown: &e.shown,
                        installed: e.installed,
                    })
                    .collect(),
                cursor: p.cursor,
                theme,
            }),
            Overlay::None
            | Overlay::Filter
            | Overlay::Jump(_)
            | Overlay::Search
            | Overlay::User(_) => ui::Overlay::None,
        };
        ui::View {
            model: self.model.as_ref(),
            refresh_interval: self.refresh_interval,
            replay: self.replay.as_ref(),
            rows: &self.rows,
            offset: self.offset,
            cursor: self.cursor,
            opts: &self.opts,
            columns: self.column_layout.get(self.columns),
            panes: &self.panes,
            focus: self.focus,
            derived: &self.derived,
            mode,
            overlay,
            input: match &self.overlay {
                Overlay::Jump(text) | Overlay::User(text) => text,
                Overlay::Search => &self.search_text,
                _ => &self.filter_text,
            },
            following: self.follow.map(|f| f.key.tid),
            status: self.status.as_deref(),
            theme,
            tagged: self.tagged.len(),
        }
    }

    /// Draws a frame and keeps its layout (for the page height and the mouse): the one
    /// draw path of the program, its tests and its benchmarks.
    pub fn draw(&mut self, frame: &mut Frame, theme: Theme) {
        self.settle();
        let layout = ui::draw(frame, &self.view(theme));
        self.set_frame(layout);
    }

    /// Takes in the layout a frame was drawn with: sets the page height and the table's
    /// first row as drawn, clamps the panes' scrolling, takes the focus back from a pane
    /// left out for lack of room, and remembers what is where for the mouse.
    pub fn set_frame(&mut self, layout: ScreenLayout) {
        self.page_height = ui::tree::page_height(layout.table.height);
        self.offset = layout.offset;
        if let Some(p) = self.focus
            && layout.pane(p).is_none()
        {
            self.focus = None;
        }
        for a in &layout.panes {
            let s = self.panes.scroll(a.pane).min(a.max_scroll);
            self.panes.set_scroll(a.pane, s);
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

    pub(super) fn toggle_pane(&mut self, pane: Pane) {
        let show = !self.panes.is_open(pane);
        self.panes.set_open(pane, show);
        if !show && self.focus == Some(pane) {
            self.focus = None;
        }
        self.derive();
    }

    /// The panes on screen, in order: those the last frame drew, else those open.
    fn panes_on_screen(&self) -> Vec<Pane> {
        match &self.frame {
            Some(f) => f
                .layout
                .panes
                .iter()
                .map(|a| a.pane)
                .filter(|p| self.panes.is_open(*p))
                .collect(),
            None => Pane::ALL
                .into_iter()
                .filter(|p| self.panes.is_open(*p))
                .collect(),
        }
    }

    /// Tab / Shift-Tab: the table, then each pane on screen, and round again.
    pub(super) fn cycle_focus(&mut self, step: i64) {
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
    pub(super) fn pane_page(&self, pane: Pane) -> i64 {
        self.frame
            .as_ref()
            .and_then(|f| f.layout.pane(pane))
            .map_or(1, |a| i64::from(a.rect.height.saturating_sub(3)).max(1))
    }

    /// Scrolls `pane` by `by` lines, within what the last frame says it has.
    pub(super) fn scroll_pane(&mut self, pane: Pane, by: i64) {
        let max = self
            .frame
            .as_ref()
            .and_then(|f| f.layout.pane(pane))
            .map_or(u16::MAX, |a| a.max_scroll);
        let s = (i64::from(self.panes.scroll(pane)) + by).clamp(0, i64::from(max)) as u16;
        self.panes.set_scroll(pane, s);
    }

    /// Moves the table's viewport by `by` rows; the selection stays on screen (dragged
    /// along only when it would scroll out of view).
    pub(super) fn scroll_table(&mut self, by: i64) {
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
}
