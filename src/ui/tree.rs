//! The process → thread table. Draws only the rows on screen.

use std::borrow::Cow;

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
    /// A cell's text as the column table formats it, and its style (what it shows).
    fn cell_text(&self, col: Column, r: &Row) -> (String, Style) {
        let t = self.theme;
        let (text, hint) = col.cell(r);
        let style = match hint {
            CellHint::Plain => Style::new(),
            CellHint::State(s) => t.state(s),
            CellHint::Busy(p) => t.busy(p),
        };
        (text, style)
    }

    /// The NAME cell of `r` in a column `width` cells wide, as the spans of its line.
    fn name_spans(&self, r: &Row, width: u16) -> Vec<Span<'static>> {
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
        spans
    }
}

impl Widget for TreePane<'_> {
    /// Draws the cells straight into the buffer, cell for cell what ratatui's `Table`
    /// draws (`tests/render_direct.rs` compares both over widths, themes, cursors and
    /// hostile names). The `Table` built a row, a cell, a text, a line and a cloned span
    /// per cell for one frame: 40 % of the display thread's CPU at idle (200x50, perf),
    /// the largest part of it.
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let cols = visible_columns(self.columns, area.width);
        if !leaves_name_its_minimum(columns_width(&cols, self.sort), area.width) {
            self.render_through_table(area, buf);
            return;
        }
        let t = self.theme;
        buf.set_style(Rect { height: 1, ..area }, t.table_header());
        let mut x = area.x;
        for c in &cols {
            let w = column_width(*c, self.sort);
            let cell = Rect::new(x, area.y, w, 1);
            put_text(buf, cell, &self.title(*c), Style::new(), !c.spec().left);
            x += w + 1;
        }
        let name_area = Rect::new(x, area.y, area.right() - x, 1);
        put_text(buf, name_area, &self.name_title(), Style::new(), false);
        let (start, end) = self.window(area);
        for (i, r) in self.rows[start..end].iter().enumerate() {
            let y = area.y + 1 + i as u16;
            if start + i == self.cursor {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..area
                    },
                    t.selected(),
                );
            }
            let mut x = area.x;
            for c in &cols {
                let w = column_width(*c, self.sort);
                let (text, style) = self.cell_text(*c, r);
                put_text(buf, Rect::new(x, y, w, 1), &text, style, !c.spec().left);
                x += w + 1;
            }
            let spans = self.name_spans(r, area.right() - x);
            put_spans(buf, Rect::new(x, y, area.right() - x, 1), &spans);
        }
    }
}

/// Whether a table `width` wide is drawn straight into the buffer: when the columns that
/// fit leave NAME its minimum. Narrower, the columns do not fit at their widths and
/// ratatui's layout squeezes them, which is the `Table`'s to decide.
pub fn draws_directly(columns: &[Column], sort: SortKey, width: u16) -> bool {
    leaves_name_its_minimum(name_column_x(columns, width, sort), width)
}

/// Whether NAME starting at `name_x` gets its minimum in a table `width` wide.
fn leaves_name_its_minimum(name_x: u16, width: u16) -> bool {
    name_x.saturating_add(MIN_NAME) <= width
}

impl TreePane<'_> {
    /// The sort arrow the sorted column's title ends with.
    fn arrow(&self) -> &'static str {
        if self.sort.descending() != self.reverse {
            self.theme.glyphs.sort_down
        } else {
            self.theme.glyphs.sort_up
        }
    }

    /// Column `c`'s header: its title, with the sort arrow when the table is sorted by it.
    fn title(&self, c: Column) -> Cow<'static, str> {
        let title = c.spec().title;
        if c == self.sort {
            Cow::Owned(format!("{title}{}", self.arrow()))
        } else {
            Cow::Borrowed(title)
        }
    }

    /// NAME's header, as `title`.
    fn name_title(&self) -> Cow<'static, str> {
        if self.sort == SortKey::Name {
            Cow::Owned(format!("NAME{}", self.arrow()))
        } else {
            Cow::Borrowed("NAME")
        }
    }

    /// The rows on screen: from the offset, as many as fit under the header.
    fn window(&self, area: Rect) -> (usize, usize) {
        let visible = usize::from(area.height.saturating_sub(1));
        let end = (self.offset + visible).min(self.rows.len());
        (self.offset.min(end), end)
    }

    /// The table drawn by ratatui's `Table`: where the columns do not fit beside NAME's
    /// minimum, and the reference the direct drawing is tested against.
    pub fn render_through_table(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let t = self.theme;
        let cols = visible_columns(self.columns, area.width);
        let mut header: Vec<Cell> = cols
            .iter()
            .map(|c| {
                let text = self.title(*c).into_owned();
                if c.spec().left {
                    Cell::from(text)
                } else {
                    Cell::from(Line::from(text).alignment(Alignment::Right))
                }
            })
            .collect();
        header.push(Cell::from(self.name_title().into_owned()));
        let mut widths: Vec<Constraint> = cols
            .iter()
            .map(|c| Constraint::Length(column_width(*c, self.sort)))
            .collect();
        widths.push(Constraint::Fill(1));
        let name_width =
            area.width
                .saturating_sub(name_column_x(self.columns, area.width, self.sort));
        let (start, end) = self.window(area);
        let body: Vec<TableRow> = self.rows[start..end]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut cells: Vec<Cell> = cols
                    .iter()
                    .map(|c| {
                        let (text, style) = self.cell_text(*c, r);
                        let line = Line::styled(text, style);
                        if c.spec().left {
                            Cell::from(line)
                        } else {
                            Cell::from(line.alignment(Alignment::Right))
                        }
                    })
                    .collect();
                cells.push(Cell::from(Line::from(self.name_spans(r, name_width))));
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

/// Whether every byte of `s` is printable ASCII: one grapheme a byte, each one cell wide
/// and none dropped as a control character, so it can be drawn a byte to a cell.
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// `text` in `area` as a one-line `Line::styled(text, style)` (aligned right if `right`)
/// draws it: the line's style over the whole cell when it has any width, the text from
/// the left or the right edge, cut on the right (left-aligned) or the left (right-aligned).
fn put_text(buf: &mut Buffer, area: Rect, text: &str, style: Style, right: bool) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    if !printable_ascii(text) {
        let line = Line::styled(text, style);
        let line = if right {
            line.alignment(Alignment::Right)
        } else {
            line
        };
        (&line).render(area, buf);
        return;
    }
    if text.is_empty() {
        return;
    }
    buf.set_style(area, style);
    let (len, room) = (text.len(), usize::from(area.width));
    let (skip, indent) = match (right, len <= room) {
        (true, true) => (0, room - len),
        (true, false) => (len - room, 0),
        (false, _) => (0, 0),
    };
    // `room` is a u16, so is `indent`; `right()` bounds the cells.
    let first = area.x + indent as u16;
    for (x, i) in (first..area.right()).zip(skip..len) {
        buf[(x, area.y)].set_symbol(&text[i..=i]);
    }
}

/// `spans` in `area` as a left-aligned `Line::from(spans)` draws them: each after the
/// last, spans of no width skipped, cut at the right edge.
fn put_spans(buf: &mut Buffer, area: Rect, spans: &[Span]) {
    let area = area.intersection(buf.area);
    if area.is_empty() || spans.iter().all(|s| s.width() == 0) {
        return;
    }
    let mut area = Rect { height: 1, ..area };
    for span in spans {
        let width = span.width();
        if width == 0 {
            continue;
        }
        if area.is_empty() {
            break;
        }
        if printable_ascii(&span.content) {
            for (x, i) in (area.x..area.right()).zip(0..span.content.len()) {
                buf[(x, area.y)]
                    .set_symbol(&span.content[i..=i])
                    .set_style(span.style);
            }
        } else {
            span.render(area, buf);
        }
        // As ratatui's `Rect::indent_x` (crate-private).
        let step = u16::try_from(width).unwrap_or(u16::MAX);
        area = Rect {
            x: area.x.saturating_add(step),
            width: area.width.saturating_sub(step),
            ..area
        };
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
    columns_width(&visible_columns(columns, width), sort)
}

/// The width the shown columns `cols` take before NAME, each with its gap.
fn columns_width(cols: &[Column], sort: SortKey) -> u16 {
    cols.iter().map(|c| column_width(*c, sort) + 1).sum()
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
