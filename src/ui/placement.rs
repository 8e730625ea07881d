//! The placement pane: for the selected process, each thread's CPU over the last ticks
//! (newest right; one mark per tick, the CPU's id as a digit or letter, coloured per CPU),
//! migrations seen and the kernel's exact count, and the allowed CPUs as a list and as a
//! mask against the row of online CPUs.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;
use crate::collect::{ProcessInfo, Unreadable, parse_cpu_list};
use crate::model::Model;
use crate::text::escape;

pub struct PlacementPane<'a> {
    pub model: &'a Model,
    pub selected_tgid: Option<u32>,
    pub theme: Theme,
    /// Thread rows scrolled past (clamped here to what there is); the two heading lines
    /// stay.
    pub scroll: u16,
    pub focused: bool,
}

/// The heading lines above the thread rows: column names and the CPU row.
const HEAD_LINES: u16 = 2;

/// Cells of the NOW strip (the last tick by time share, with events): a tenth of the tick
/// each, enough to tell one CPU from a split between two.
const NOW_CELLS: usize = 10;

/// The mark for CPU `id` in a history strip: 0-9, a-z, A-Z, then `+`.
pub fn cpu_mark(id: u32) -> char {
    const MARKS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    MARKS.get(id as usize).map_or('+', |&b| b as char)
}

impl PlacementPane<'_> {
    fn process(&self) -> Option<&ProcessInfo> {
        let tgid = self.selected_tgid?;
        self.model.current.processes.iter().find(|p| p.tgid == tgid)
    }

    pub fn height(&self) -> u16 {
        self.process().map_or(3, |p| p.tasks.len() as u16 + 4)
    }

    /// Lines of content that do not fit in `area` (border included).
    pub fn max_scroll(&self, area: Rect) -> u16 {
        let inner = self.theme.block().inner(area);
        self.body_lines()
            .saturating_sub(inner.height.saturating_sub(HEAD_LINES))
    }

    /// Lines below the heading: one per thread, and the EXACT note if any.
    fn body_lines(&self) -> u16 {
        self.process().map_or(0, |p| {
            let absent = p
                .tasks
                .iter()
                .any(|t| matches!(t.migrations(), Some(Err(Unreadable::Absent))));
            (p.tasks.len() + usize::from(absent)) as u16
        })
    }

    /// The tick's length when the scheduling events give exact placement.
    fn exact_interval(&self) -> Option<u64> {
        self.model.current.events.tick()?.interval_ns
    }

    /// One cell of a strip: the CPU's mark in its colour, or the no-sample glyph.
    fn mark(&self, cpu: Option<u32>) -> Span<'static> {
        let t = self.theme;
        match cpu {
            Some(c) => Span::styled(
                cpu_mark(c).to_string(),
                t.cpu_color(c)
                    .map_or(Style::new(), |col| Style::new().fg(col)),
            ),
            None => Span::raw(t.glyphs.no_sample),
        }
    }

    fn online(&self) -> Vec<u32> {
        let topo = &self.model.current.system.topology;
        if topo.is_empty() {
            self.model.cpus.iter().map(|c| c.0).collect()
        } else {
            topo.iter().map(|c| c.id).collect()
        }
    }
}

impl Widget for PlacementPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let Some(p) = self.process() else {
            Paragraph::new("select a process or thread to see where its threads run")
                .block(super::pane_block(t, Line::raw(" Placement "), self.focused, None).0)
                .render(area, buf);
            return;
        };
        let name = p.tasks.first().map(|t| escape(&t.comm)).unwrap_or_default();
        let inner = t.block().inner(area);
        let rows_room = inner.height.saturating_sub(HEAD_LINES);
        let total = self.body_lines();
        let exact_ns = self.exact_interval();
        let title = match exact_ns {
            Some(_) => format!(
                " Placement of {name} ({}): exact, from events: NOW by time share, then most-time CPU per tick ",
                p.tgid
            ),
            None => format!(
                " Placement of {name} ({}): sampled, last CPU per tick, newest right ",
                p.tgid
            ),
        };
        let (block, scroll) = super::pane_block(
            t,
            Line::raw(title),
            self.focused,
            Some(super::Scroll {
                want: self.scroll,
                room: rows_room,
                total,
            }),
        );
        block.render(area, buf);
        let online = self.online();
        let mask_w = online.len().max(4);
        let now_w = if exact_ns.is_some() { NOW_CELLS + 2 } else { 0 };
        let mut lines = vec![Line::from(vec![Span::styled(
            format!(
                "{:>7} {:<15} {:<9} {:<mask_w$} {:>4} {:>5}  {:<now_w$}history",
                "TID",
                "NAME",
                "AFFINITY",
                "MASK",
                "SEEN",
                "EXACT",
                if exact_ns.is_some() { "NOW" } else { "" }
            ),
            t.header_label(),
        )])];
        // The CPU row the masks line up against.
        let cpu_row: String = online.iter().map(|&c| cpu_mark(c)).collect();
        lines.push(Line::from(vec![
            Span::raw(format!("{:>7} {:<15} {:<9} ", "", "", "CPUs:")),
            Span::styled(format!("{cpu_row:<mask_w$}"), t.dim()),
        ]));
        let mut exact_absent = false;
        for task in &p.tasks {
            let track = self.model.placement.track(&task.key());
            let affinity = task
                .detail()
                .and_then(|d| d.as_ref().ok())
                .map(|d| d.cpus_allowed.clone());
            let allowed = affinity.as_deref().and_then(parse_cpu_list);
            let mask: String = online
                .iter()
                .map(|c| match &allowed {
                    Some(a) if a.contains(c) => 'x',
                    Some(_) => '.',
                    None => '?',
                })
                .collect();
            let exact = match task.migrations() {
                Some(Ok(n)) => n.to_string(),
                Some(Err(Unreadable::Absent)) => {
                    exact_absent = true;
                    "n/a".into()
                }
                Some(Err(_)) => "?".into(),
                None => t.glyphs.ellipsis.into(),
            };
            let seen = track.map_or(0, |tr| tr.migrations_seen);
            let head = format!(
                "{:>7} {:<15} {:<9} {mask:<mask_w$} {seen:>4} {exact:>5}  ",
                task.tid,
                escape(&task.comm).chars().take(15).collect::<String>(),
                affinity.unwrap_or_else(|| t.glyphs.ellipsis.into()),
            );
            let mut spans = vec![Span::raw(head)];
            if exact_ns.is_some() {
                let strip = crate::model::events::of_task(&self.model.current.events, task)
                    .and_then(|e| crate::model::share_strip(&e, NOW_CELLS));
                match strip {
                    Some(cells) => spans.extend(cells.into_iter().map(|c| self.mark(c))),
                    None => spans.push(Span::raw(format!("{:<NOW_CELLS$}", "?"))),
                }
                spans.push(Span::raw("  "));
            }
            let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
            let room = usize::from(inner.width).saturating_sub(used);
            if let Some(tr) = track {
                let skip = tr.cpus.len().saturating_sub(room);
                for cpu in tr.cpus.iter().skip(skip) {
                    spans.push(self.mark(*cpu));
                }
            }
            lines.push(Line::from(spans));
        }
        if exact_absent {
            lines.push(Line::styled(
                "EXACT n/a: this kernel has no se.nr_migrations in /proc/TID/sched; SEEN counts CPU changes between ticks (a lower bound)",
                t.dim(),
            ));
        }
        // The heading stays; the thread rows (and the note) scroll under it.
        let head = usize::from(HEAD_LINES).min(lines.len());
        let body = lines.split_off(head);
        let [head_area, body_area] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(HEAD_LINES),
            ratatui::layout::Constraint::Fill(1),
        ])
        .areas(inner);
        Paragraph::new(lines).render(head_area, buf);
        Paragraph::new(body)
            .scroll((scroll, 0))
            .render(body_area, buf);
    }
}

impl super::panes::PaneView for PlacementPane<'_> {
    fn height(&self, width: u16) -> u16 {
        let _ = width;
        PlacementPane::height(self)
    }
    fn max_scroll(&self, area: Rect) -> u16 {
        PlacementPane::max_scroll(self, area)
    }
    fn render(self: Box<Self>, area: Rect, buf: &mut Buffer) {
        Widget::render(*self, area, buf)
    }
}
