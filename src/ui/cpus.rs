//! The CPU pane, "who runs where": one cell per online CPU with its usage and the tasks
//! runnable there (state R, last CPU = that one). The selected process's tasks are marked
//! `*` and highlighted, so a thread pool's spread shows at a glance. Many CPUs switch to
//! compact cells, several per line.

use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;
use crate::collect::{CpuTopology, TaskKey};
use crate::model::format;
use crate::model::{Model, runnable_by_cpu};
use crate::text::escape;

pub struct CpusPane<'a> {
    pub model: &'a Model,
    /// The selected process: its tasks are highlighted.
    pub selected_tgid: Option<u32>,
    /// Which shown cgroups' cpusets cover each CPU, when not all of them
    /// (`model::cgroups::cpuset_lines`); empty: every shown cgroup may use every CPU.
    pub cpusets: &'a [String],
    pub theme: Theme,
    /// Lines scrolled past (clamped here to what there is).
    pub scroll: u16,
    pub focused: bool,
}

/// Width of one cell in compact mode.
const COMPACT_CELL: usize = 26;

struct CpuCell {
    topo: CpuTopology,
    usage: Option<f64>,
    /// (name, is in the selected process)
    tasks: Vec<(String, bool)>,
}

impl CpusPane<'_> {
    fn cells(&self) -> Vec<CpuCell> {
        let snap = &self.model.current;
        let by_cpu = runnable_by_cpu(snap);
        let names: HashMap<TaskKey, (String, u32)> = snap
            .tasks()
            .filter(|t| t.state == b'R')
            .map(|t| (t.key(), (escape(&t.comm), t.tgid)))
            .collect();
        // /sys topology when present, else the CPUs /proc/stat lists.
        let mut topo: Vec<CpuTopology> = snap.system.topology.clone();
        if topo.is_empty() {
            topo = self
                .model
                .cpus
                .iter()
                .map(|(id, _)| CpuTopology {
                    id: *id,
                    ..CpuTopology::default()
                })
                .collect();
        }
        topo.sort_by_key(|c| (c.package, c.core, c.id));
        topo.into_iter()
            .map(|t| {
                let mut tasks: Vec<(String, bool)> = by_cpu
                    .get(&t.id)
                    .into_iter()
                    .flatten()
                    .filter_map(|k| names.get(k))
                    .map(|(n, tgid)| (n.clone(), Some(*tgid) == self.selected_tgid))
                    .collect();
                // The selected process's tasks first: they are what the user looks for.
                tasks.sort_by_key(|(n, sel)| (!sel, n.clone()));
                CpuCell {
                    usage: self
                        .model
                        .cpus
                        .iter()
                        .find(|(id, _)| *id == t.id)
                        .and_then(|c| c.1),
                    topo: t,
                    tasks,
                }
            })
            .collect()
    }

    /// Lines the pane wants (plus 2 for its border).
    pub fn height(&self, width: u16) -> u16 {
        let n = self.cells().len();
        let full = n + 2;
        let per_line = (usize::from(width.saturating_sub(2)) / COMPACT_CELL).max(1);
        let compact = n.div_ceil(per_line) + 2;
        full.min(compact.max(full.min(12))) as u16 + self.cpuset_lines().len() as u16
    }

    /// The cpuset lines under the CPUs: a heading and one line per CPU.
    fn cpuset_lines(&self) -> Vec<Line<'static>> {
        if self.cpusets.is_empty() {
            return Vec::new();
        }
        let t = self.theme;
        let mut out = vec![Line::styled(
            "cgroup cpusets (the shown cgroups that may run on each CPU):",
            t.header_label(),
        )];
        out.extend(self.cpusets.iter().map(|l| Line::raw(format!("  {l}"))));
        out
    }

    fn task_spans(&self, tasks: &[(String, bool)], room: usize) -> Vec<Span<'static>> {
        let t = self.theme;
        let mut spans = Vec::new();
        let mut used = 0;
        for (i, (name, sel)) in tasks.iter().enumerate() {
            let text = if *sel {
                format!("{name}*")
            } else {
                name.clone()
            };
            let w = text.chars().count() + 1;
            if used + w > room && i > 0 {
                spans.push(Span::styled(format!("+{}", tasks.len() - i), t.dim()));
                break;
            }
            used += w;
            let style = if *sel { t.selected() } else { Style::new() };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        spans
    }
}

const TITLE: &str = " CPUs: who is runnable where (R, last CPU); * = selected process ";

impl CpusPane<'_> {
    /// Lines of content that do not fit in `area` (border included).
    pub fn max_scroll(&self, area: Rect) -> u16 {
        let inner = self.theme.block().inner(area);
        (self.lines(inner).len() as u16).saturating_sub(inner.height)
    }

    fn lines(&self, inner: Rect) -> Vec<Line<'static>> {
        let t = self.theme;
        let cells = self.cells();
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        if cells.len() <= usize::from(inner.height) {
            // One line per CPU: "cpu 3  core 1 pkg 0 node 0  45.0%  name* name".
            for c in &cells {
                let mut where_ = String::new();
                if let Some(core) = c.topo.core {
                    where_.push_str(&format!(" core {core}"));
                }
                if let Some(p) = c.topo.package {
                    where_.push_str(&format!(" pkg {p}"));
                }
                if let Some(n) = c.topo.node {
                    where_.push_str(&format!(" node {n}"));
                }
                let head = format!(
                    "cpu{:<3}{where_:<20} {:>5}% ",
                    c.topo.id,
                    format::percent(c.usage)
                );
                let room = width.saturating_sub(head.chars().count());
                let mut spans = vec![Span::styled(head, t.header_label())];
                if c.tasks.is_empty() {
                    spans.push(Span::styled("idle or only sleepers", t.dim()));
                } else {
                    spans.extend(self.task_spans(&c.tasks, room));
                }
                lines.push(Line::from(spans));
            }
        } else {
            // Compact: "  3  45% a* b +2" cells side by side.
            let per_line = (width / COMPACT_CELL).max(1);
            for chunk in cells.chunks(per_line) {
                let mut spans = Vec::new();
                for c in chunk {
                    let head = format!("{:>3} {:>4}% ", c.topo.id, format::percent(c.usage));
                    let room = COMPACT_CELL.saturating_sub(head.len() + 1);
                    spans.push(Span::styled(head, t.header_label()));
                    let task_spans = self.task_spans(&c.tasks, room);
                    let used: usize = task_spans.iter().map(|s| s.content.chars().count()).sum();
                    spans.extend(task_spans);
                    spans.push(Span::raw(" ".repeat(room.saturating_sub(used) + 1)));
                }
                lines.push(Line::from(spans));
            }
        }
        lines.extend(self.cpuset_lines());
        lines
    }
}

impl Widget for CpusPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = self.theme.block().inner(area);
        let lines = self.lines(inner);
        let total = lines.len() as u16;
        let (block, scroll) = super::pane_block(
            self.theme,
            Line::raw(TITLE),
            self.focused,
            Some(super::Scroll {
                want: self.scroll,
                room: inner.height,
                total,
            }),
        );
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(lines).scroll((scroll, 0)).render(inner, buf);
    }
}

impl super::panes::PaneView for CpusPane<'_> {
    fn height(&self, width: u16) -> u16 {
        CpusPane::height(self, width)
    }
    fn max_scroll(&self, area: Rect) -> u16 {
        CpusPane::max_scroll(self, area)
    }
    fn render(self: Box<Self>, area: Rect, buf: &mut Buffer) {
        Widget::render(*self, area, buf)
    }
}
