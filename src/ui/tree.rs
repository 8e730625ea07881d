//! The process → thread table. Draws only the rows on screen.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row as TableRow, Table, Widget};

use super::theme::Theme;
use crate::model::columns::{CellHint, Column, SortKey};
use crate::model::{Row, RowKind};

pub struct TreePane<'a> {
    pub rows: &'a [Row],
    pub offset: usize,
    pub cursor: usize,
    pub sort: SortKey,
    pub reverse: bool,
    pub columns: &'a [Column],
    pub theme: Theme,
}

const MIN_NAME: u16 = 16;

/// The chosen columns that fit in `width` with room for NAME, dropping the highest ranks
/// first; the order stays the user's.
fn visible_columns(all: &[Column], width: u16) -> Vec<Column> {
    let mut max_rank = all.iter().map(|c| c.spec().drop_rank).max().unwrap_or(0);
    loop {
        let kept: Vec<Column> = all
            .iter()
            .copied()
            .filter(|c| c.spec().drop_rank <= max_rank)
            .collect();
        let used: u16 = kept.iter().map(|c| c.spec().width + 1).sum();
        if used + MIN_NAME <= width || max_rank == 0 {
            return kept;
        }
        max_rank -= 1;
    }
}

impl TreePane<'_> {
    /// A cell as the column table formats it, coloured by what it shows.
    fn cell(&self, col: Column, r: &Row) -> Cell<'static> {
        let t = self.theme;
        let (text, hint) = col.cell(r);
        let style = match hint {
            CellHint::Plain => Style::new(),
            CellHint::State(s) => t.state(s),
            CellHint::Busy(p) => t.busy(p),
        };
        let line = Line::styled(text, style);
        if col.spec().left {
            Cell::from(line)
        } else {
            Cell::from(line.alignment(Alignment::Right))
        }
    }

    /// The NAME cell of `r` in a column `width` cells wide.
    fn name_cell(&self, r: &Row, width: u16) -> Cell<'static> {
        let t = self.theme;
        let g = t.glyphs;
        let glyph = match (r.kind, r.foldable, r.folded) {
            (RowKind::Process, true, true) | (RowKind::Pool | RowKind::Cgroup, _, true) => {
                format!("{} ", g.folded)
            }
            (RowKind::Process, true, false) | (RowKind::Pool | RowKind::Cgroup, _, false) => {
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
        // Cut to the cell's width here, not by the table: cut text ends with an ellipsis,
        // a pool's " (pool)" goes first and its count last (at 80 columns a 20-thread pool
        // read "×2" when the table cut it).
        let guides = g.guides(&r.prefix);
        // A tagged row (`m`) is marked `*` before its name, after the fold mark (whose
        // place the mouse hit-tests).
        let mark = if r.tagged { "*" } else { "" };
        let room = usize::from(width)
            .saturating_sub(text_width(&guides) + text_width(&glyph) + mark.len());
        let fit = |s: &str, w: usize| cut(s, w, g.ellipsis);
        let mut spans = vec![Span::styled(guides, t.dim()), Span::raw(glyph)];
        if r.tagged {
            spans.push(Span::styled(mark, t.warning()));
        }
        if r.kind == RowKind::Pool {
            let count = format!(" {}{}", g.times, r.threads);
            let tag = " (pool)";
            let (name_w, count_w) = (text_width(&r.name), text_width(&count));
            let text = if name_w + count_w + tag.len() <= room {
                format!("{}{count}{tag}", r.name)
            } else if name_w + count_w <= room {
                format!("{}{count}", r.name)
            } else if room > count_w + text_width(g.ellipsis) {
                format!("{}{count}", fit(&r.name, room - count_w))
            } else {
                fit(&format!("{}{count}", r.name), room)
            };
            spans.push(Span::styled(text, name_style));
        } else if r.kind == RowKind::Process && r.kernel {
            spans.push(Span::styled(
                fit(&format!("[{}]", r.name), room),
                name_style,
            ));
        } else {
            spans.push(Span::styled(fit(&r.name, room), name_style));
        }
        let rest = room.saturating_sub(text_width(&r.name));
        if matches!(r.kind, RowKind::Process | RowKind::Cgroup)
            && !r.kernel
            && !r.command.is_empty()
            && rest > 2
        {
            spans.push(Span::styled(
                format!("  {}", fit(&r.command, rest - 2)),
                t.dim(),
            ));
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
                let spec = c.spec();
                let text = if *c == self.sort {
                    format!("{}{arrow}", spec.title)
                } else {
                    spec.title.to_string()
                };
                if spec.left {
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
            .map(|c| Constraint::Length(column_width(*c, self.sort)))
            .collect();
        widths.push(Constraint::Fill(1));
        let name_width =
            area.width
                .saturating_sub(name_column_x(self.columns, area.width, self.sort));
        let visible = usize::from(area.height.saturating_sub(1));
        let end = (self.offset + visible).min(self.rows.len());
        let start = self.offset.min(end);
        let body: Vec<TableRow> = self.rows[start..end]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut cells: Vec<Cell> = cols.iter().map(|c| self.cell(*c, r)).collect();
                cells.push(self.name_cell(r, name_width));
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

fn text_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` cut to `width` cells, ending in `ellipsis` where it was cut.
fn cut(s: &str, width: usize, ellipsis: &str) -> String {
    if text_width(s) <= width {
        return s.to_string();
    }
    let room = width.saturating_sub(text_width(ellipsis));
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if text_width(ellipsis) <= width {
        out.push_str(ellipsis);
    }
    out
}

/// The table as text, `width` cells wide, header line first and every row after it: what
/// `--batch` prints each tick (the same cells as on screen, trailing blanks trimmed).
pub fn table_text(
    rows: &[Row],
    columns: &[Column],
    sort: SortKey,
    reverse: bool,
    width: u16,
    theme: Theme,
) -> Vec<String> {
    // A buffer holds at most u16::MAX lines: a taller table is drawn in slices.
    const SLICE: usize = 4096;
    let mut out = Vec::with_capacity(rows.len() + 1);
    let mut offset = 0;
    loop {
        let n = (rows.len() - offset).min(SLICE);
        let area = Rect::new(0, 0, width, n as u16 + 1);
        let mut buf = Buffer::empty(area);
        TreePane {
            rows,
            offset,
            cursor: usize::MAX,
            sort,
            reverse,
            columns,
            theme,
        }
        .render(area, &mut buf);
        let skip = usize::from(offset > 0);
        for y in skip..usize::from(area.height) {
            let mut line = String::new();
            for x in 0..width {
                line.push_str(buf[(x, y as u16)].symbol());
            }
            out.push(line.trim_end().to_string());
        }
        offset += n;
        if offset >= rows.len() {
            return out;
        }
    }
}

/// A column's width on screen: its own, or its title and the sort arrow if wider.
fn column_width(c: Column, sort: SortKey) -> u16 {
    let spec = c.spec();
    let extra = u16::from(c == sort);
    spec.width.max(spec.title.len() as u16 + extra)
}

/// The sort key of the column header at `x` (from the table's left edge) in a table
/// `width` wide: what a click on the header asks for. NAME sorts by name; a column
/// without a sort order, or the gap between columns, gives `None`.
pub fn header_sort_at(columns: &[Column], width: u16, sort: SortKey, x: u16) -> Option<SortKey> {
    let mut left = 0u16;
    for c in visible_columns(columns, width) {
        let w = column_width(c, sort);
        if x < left + w {
            return if x >= left && c.sortable() {
                Some(c)
            } else {
                None
            };
        }
        left += w + 1;
        if x < left {
            return None;
        }
    }
    (x >= left && x < width).then_some(SortKey::Name)
}

/// Where the NAME column starts, from the table's left edge.
pub fn name_column_x(columns: &[Column], width: u16, sort: SortKey) -> u16 {
    visible_columns(columns, width)
        .iter()
        .map(|c| column_width(*c, sort) + 1)
        .sum()
}

/// Where a row's fold mark (`▾`/`▸`) is in its NAME cell: after its tree guides.
pub fn fold_mark_x(row: &Row) -> u16 {
    unicode_width::UnicodeWidthStr::width(row.prefix.as_str()) as u16
}

/// How many table rows fit in a pane of this height (one line is the column header).
pub fn page_height(area_height: u16) -> usize {
    usize::from(area_height.saturating_sub(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_click_maps_to_the_column_under_it() {
        let cols = [Column::Tid, Column::User, Column::Cpu];
        // "    TID USER     CPU%▼ NAME": TID 0..7, USER 8..16, CPU%▼ 17..22, NAME from 23.
        let at = |x| header_sort_at(&cols, 80, SortKey::Cpu, x);
        assert_eq!(at(0), Some(SortKey::Tid));
        assert_eq!(at(6), Some(SortKey::Tid));
        assert_eq!(at(7), None, "the gap between columns");
        assert_eq!(at(9), None, "USER has no sort order");
        assert_eq!(at(17), Some(SortKey::Cpu));
        assert_eq!(at(21), Some(SortKey::Cpu));
        assert_eq!(at(22), None);
        assert_eq!(at(23), Some(SortKey::Name));
        assert_eq!(at(79), Some(SortKey::Name));
        assert_eq!(at(80), None, "beyond the table");
        // A narrow table drops columns, and the clicks follow what is drawn.
        let narrow = header_sort_at(&[Column::Tid, Column::Threads], 25, SortKey::Cpu, 8);
        assert_eq!(narrow, Some(SortKey::Name));
    }
}
