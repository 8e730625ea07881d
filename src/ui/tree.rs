//! The process → thread table. Draws only the rows on screen.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row as TableRow, Table, Widget};

use super::format;
use super::theme::Theme;
use crate::model::{Row, RowKind, SortKey};

pub struct TreePane<'a> {
    pub rows: &'a [Row],
    pub offset: usize,
    pub cursor: usize,
    pub sort: SortKey,
    pub reverse: bool,
    pub columns: ColumnSet,
    pub theme: Theme,
}

/// Which columns the table shows; `c` switches between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnSet {
    /// Identity, state, CPU and switches: the overview.
    #[default]
    Basic,
    /// How the scheduler treats each task: placement, policy, priorities, waits.
    Scheduling,
}

impl ColumnSet {
    pub fn next(self) -> ColumnSet {
        match self {
            ColumnSet::Basic => ColumnSet::Scheduling,
            ColumnSet::Scheduling => ColumnSet::Basic,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            ColumnSet::Basic => "basic",
            ColumnSet::Scheduling => "scheduling",
        }
    }
    /// (column, drop rank): on a narrow terminal the highest ranks go first.
    fn columns(self) -> &'static [(Col, u8)] {
        match self {
            ColumnSet::Basic => &[
                (Col::Tid, 0),
                (Col::Tgid, 3),
                (Col::User, 7),
                (Col::State, 1),
                (Col::Cpu, 2),
                (Col::LastCpu, 4),
                (Col::Nice, 6),
                (Col::Prio, 8),
                (Col::Switches, 5),
                (Col::Threads, 9),
            ],
            ColumnSet::Scheduling => &[
                (Col::Tid, 0),
                (Col::State, 1),
                (Col::Cpu, 2),
                (Col::LastCpu, 3),
                (Col::Affinity, 4),
                (Col::Policy, 7),
                (Col::RtPrio, 9),
                (Col::Nice, 8),
                (Col::Wait, 5),
                (Col::Voluntary, 6),
                (Col::Involuntary, 6),
            ],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    Tid,
    Tgid,
    User,
    State,
    Cpu,
    LastCpu,
    Nice,
    Prio,
    Switches,
    Threads,
    Affinity,
    Policy,
    RtPrio,
    Wait,
    Voluntary,
    Involuntary,
}

impl Col {
    /// (title, width, sort key, left-aligned)
    fn spec(self) -> (&'static str, u16, Option<SortKey>, bool) {
        match self {
            Col::Tid => ("TID", 7, Some(SortKey::Tid), false),
            Col::Tgid => ("TGID", 7, None, false),
            Col::User => ("USER", 8, None, true),
            Col::State => ("S", 1, Some(SortKey::State), true),
            Col::Cpu => ("CPU%", 5, Some(SortKey::Cpu), false),
            Col::LastCpu => ("CPU", 3, Some(SortKey::LastCpu), false),
            Col::Nice => ("NI", 3, Some(SortKey::Nice), false),
            Col::Prio => ("PRI", 4, None, false),
            Col::Switches => ("SW/s", 6, Some(SortKey::Switches), false),
            Col::Threads => ("THR", 4, None, false),
            Col::Affinity => ("AFFINITY", 9, None, true),
            Col::Policy => ("POLICY", 8, Some(SortKey::Policy), true),
            Col::RtPrio => ("RTP", 3, Some(SortKey::RtPriority), false),
            Col::Wait => ("WAIT%", 5, Some(SortKey::Wait), false),
            Col::Voluntary => ("VOL/s", 6, Some(SortKey::Voluntary), false),
            Col::Involuntary => ("INV/s", 6, Some(SortKey::Involuntary), false),
        }
    }
}

const MIN_NAME: u16 = 16;

fn visible_columns(set: ColumnSet, width: u16) -> Vec<Col> {
    let all = set.columns();
    let mut max_rank = all.iter().map(|c| c.1).max().unwrap_or(0);
    loop {
        let kept: Vec<Col> = all
            .iter()
            .filter(|c| c.1 <= max_rank)
            .map(|c| c.0)
            .collect();
        let used: u16 = kept.iter().map(|c| c.spec().1 + 1).sum();
        if used + MIN_NAME <= width || max_rank == 0 {
            return kept;
        }
        max_rank -= 1;
    }
}

impl TreePane<'_> {
    fn cell(&self, col: Col, r: &Row) -> Cell<'static> {
        let t = self.theme;
        let right = |s: String| Cell::from(Line::from(s).alignment(Alignment::Right));
        if r.unreadable && !matches!(col, Col::Tid | Col::Tgid | Col::State) {
            return right("?".into());
        }
        match col {
            Col::Tid => right(r.tid.to_string()),
            Col::Tgid => right(r.tgid.to_string()),
            Col::User => Cell::from(r.user.clone()),
            Col::State => Cell::from(Span::styled(
                (r.state as char).to_string(),
                t.state(r.state),
            )),
            Col::Cpu => Cell::from(
                Line::styled(
                    format::percent(r.cpu_percent),
                    t.busy(r.cpu_percent.unwrap_or(0.0)),
                )
                .alignment(Alignment::Right),
            ),
            Col::LastCpu => right(r.processor.map_or("-".into(), |p| p.to_string())),
            Col::Nice => right(r.nice.to_string()),
            Col::Prio => right(r.priority.to_string()),
            Col::Switches => right(format::rate(r.switches_per_sec)),
            Col::Threads => right(if r.kind != RowKind::Thread {
                r.threads.to_string()
            } else {
                String::new()
            }),
            Col::Affinity => Cell::from(r.affinity.clone().unwrap_or_else(|| "-".into())),
            Col::Policy => Cell::from(crate::model::policy_name(r.policy)),
            Col::RtPrio => right(r.rt_priority.to_string()),
            Col::Wait => right(format::percent(r.wait_percent)),
            Col::Voluntary => right(format::rate(r.voluntary_per_sec)),
            Col::Involuntary => right(format::rate(r.involuntary_per_sec)),
        }
    }

    fn name_cell(&self, r: &Row) -> Cell<'static> {
        let t = self.theme;
        let g = t.glyphs;
        let glyph = match (r.kind, r.foldable, r.folded) {
            (RowKind::Process, true, true) | (RowKind::Pool, _, true) => format!("{} ", g.folded),
            (RowKind::Process, true, false) | (RowKind::Pool, _, false) => {
                format!("{} ", g.unfolded)
            }
            (RowKind::Process, false, _) => "  ".to_string(),
            (RowKind::Thread, _, _) => String::new(),
        };
        let name_style = if r.kernel {
            t.kernel()
        } else if r.kind == RowKind::Thread {
            t.thread()
        } else {
            Style::new()
        };
        let mut spans = vec![Span::styled(g.guides(&r.prefix), t.dim()), Span::raw(glyph)];
        if r.kind == RowKind::Pool {
            spans.push(Span::styled(
                format!("{} {}{} (pool)", r.name, g.times, r.threads),
                name_style,
            ));
        } else if r.kind == RowKind::Process && r.kernel {
            spans.push(Span::styled(format!("[{}]", r.name), name_style));
        } else {
            spans.push(Span::styled(r.name.clone(), name_style));
        }
        if r.kind == RowKind::Process && !r.kernel && !r.command.is_empty() {
            spans.push(Span::styled(format!("  {}", r.command), t.dim()));
        }
        Cell::from(Line::from(spans))
    }
}

impl Widget for TreePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let t = self.theme;
        let cols = visible_columns(self.columns, area.width);
        let arrow = if self.sort.descending() != self.reverse {
            t.glyphs.sort_down
        } else {
            t.glyphs.sort_up
        };
        let mut header: Vec<Cell> = cols
            .iter()
            .map(|c| {
                let (title, _, key, left) = c.spec();
                let text = if key == Some(self.sort) {
                    format!("{title}{arrow}")
                } else {
                    title.to_string()
                };
                if left {
                    Cell::from(text)
                } else {
                    Cell::from(Line::from(text).alignment(Alignment::Right))
                }
            })
            .collect();
        let name_title = if self.sort == SortKey::Name {
            format!("NAME{arrow}")
        } else {
            "NAME".to_string()
        };
        header.push(Cell::from(name_title));
        let mut widths: Vec<Constraint> = cols
            .iter()
            .map(|c| {
                let (title, w, key, _) = c.spec();
                let extra = u16::from(key == Some(self.sort));
                Constraint::Length(w.max(title.len() as u16 + extra))
            })
            .collect();
        widths.push(Constraint::Fill(1));
        let visible = usize::from(area.height.saturating_sub(1));
        let end = (self.offset + visible).min(self.rows.len());
        let start = self.offset.min(end);
        let body: Vec<TableRow> = self.rows[start..end]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut cells: Vec<Cell> = cols.iter().map(|c| self.cell(*c, r)).collect();
                cells.push(self.name_cell(r));
                let row = TableRow::new(cells);
                if start + i == self.cursor {
                    row.style(t.selected())
                } else {
                    row
                }
            })
            .collect();
        Table::new(body, widths)
            .header(TableRow::new(header).style(t.table_header()))
            .column_spacing(1)
            .render(area, buf);
    }
}

/// How many table rows fit in a pane of this height (one line is the column header).
pub fn page_height(area_height: u16) -> usize {
    usize::from(area_height.saturating_sub(1)).max(1)
}
