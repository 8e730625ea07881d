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
    pub theme: Theme,
}

#[derive(Clone, Copy, PartialEq, Eq)]
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
}

/// Columns in the order they are dropped when the terminal is narrow (last goes first).
const COLUMNS: [(Col, &str, u16, Option<SortKey>); 10] = [
    (Col::Tid, "TID", 7, Some(SortKey::Tid)),
    (Col::State, "S", 1, Some(SortKey::State)),
    (Col::Cpu, "CPU%", 5, Some(SortKey::Cpu)),
    (Col::Tgid, "TGID", 7, None),
    (Col::LastCpu, "CPU", 3, Some(SortKey::LastCpu)),
    (Col::Switches, "SW/s", 6, Some(SortKey::Switches)),
    (Col::Nice, "NI", 3, None),
    (Col::User, "USER", 8, None),
    (Col::Prio, "PRI", 4, None),
    (Col::Threads, "THR", 4, None),
];
/// Display order on screen.
const ORDER: [Col; 10] = [
    Col::Tid,
    Col::Tgid,
    Col::User,
    Col::State,
    Col::Cpu,
    Col::LastCpu,
    Col::Nice,
    Col::Prio,
    Col::Switches,
    Col::Threads,
];
const MIN_NAME: u16 = 16;

fn visible_columns(width: u16) -> Vec<(Col, &'static str, u16, Option<SortKey>)> {
    let mut keep = COLUMNS.len();
    while keep > 1 {
        let used: u16 = COLUMNS[..keep].iter().map(|c| c.2 + 1).sum();
        if used + MIN_NAME <= width {
            break;
        }
        keep -= 1;
    }
    ORDER
        .iter()
        .filter_map(|o| COLUMNS[..keep].iter().find(|c| c.0 == *o).copied())
        .collect()
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
            Col::Threads => right(if r.kind == RowKind::Process {
                r.threads.to_string()
            } else {
                String::new()
            }),
        }
    }

    fn name_cell(&self, r: &Row) -> Cell<'static> {
        let t = self.theme;
        let glyph = match (r.kind, r.foldable, r.folded) {
            (RowKind::Process, true, true) => "▸ ",
            (RowKind::Process, true, false) => "▾ ",
            (RowKind::Process, false, _) => "  ",
            (RowKind::Thread, _, _) => "",
        };
        let name_style = if r.kernel {
            t.kernel()
        } else if r.kind == RowKind::Thread {
            t.thread()
        } else {
            Style::new()
        };
        let mut spans = vec![Span::styled(r.prefix.clone(), t.dim()), Span::raw(glyph)];
        if r.kind == RowKind::Process && r.kernel {
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
        let cols = visible_columns(area.width);
        let arrow = if self.sort.descending() != self.reverse {
            "▼"
        } else {
            "▲"
        };
        let mut header: Vec<Cell> = cols
            .iter()
            .map(|(_, title, _, key)| {
                let text = if *key == Some(self.sort) {
                    format!("{title}{arrow}")
                } else {
                    (*title).to_string()
                };
                if *title == "USER" || *title == "S" {
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
            .map(|(_, title, w, key)| {
                let extra = u16::from(*key == Some(self.sort));
                Constraint::Length((*w).max(title.len() as u16 + extra))
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
                let mut cells: Vec<Cell> = cols.iter().map(|c| self.cell(c.0, r)).collect();
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
