//! The header: per-CPU usage bars, tasks by state, kernel vs user threads, load, memory.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::format;
use super::theme::Theme;
use crate::model::Model;

pub struct HeaderPane<'a> {
    pub model: Option<&'a Model>,
    pub refresh_interval: Duration,
    pub theme: Theme,
}

/// Above this many CPU lines the bars switch to compact cells.
const MAX_BAR_LINES: usize = 4;
const BAR_CELL: usize = 20;
const COMPACT_CELL: usize = 9;

fn cell_layout(cpus: usize, width: u16) -> (usize, usize) {
    let width = usize::from(width).max(1);
    let per_line = |cell: usize| (width / cell).max(1);
    let lines = |cell: usize| cpus.div_ceil(per_line(cell));
    let cell = if lines(BAR_CELL) <= MAX_BAR_LINES {
        BAR_CELL.max(width / cpus.max(1)).min(width)
    } else {
        COMPACT_CELL
    };
    (cell, lines(cell).max(1))
}

impl HeaderPane<'_> {
    pub fn height(&self, width: u16) -> u16 {
        let Some(m) = self.model else { return 1 };
        let (_, cpu_lines) = cell_layout(m.cpus.len(), width);
        let notes = u16::from(note_line(m).is_some());
        cpu_lines as u16 + 2 + notes
    }

    fn cpu_lines(&self, m: &Model, width: u16) -> Vec<Line<'static>> {
        let (cell, _) = cell_layout(m.cpus.len(), width);
        let per_line = (usize::from(width) / cell).max(1);
        let t = self.theme;
        m.cpus
            .chunks(per_line)
            .map(|chunk| {
                let mut spans = Vec::new();
                for (id, usage) in chunk {
                    let pct = format!("{}%", format::percent(*usage));
                    let label = format!("{id:>2}");
                    if cell == COMPACT_CELL {
                        spans.push(Span::styled(label, t.header_label()));
                        spans.push(Span::styled(
                            format!("{pct:>6} "),
                            t.busy(usage.unwrap_or(0.0)),
                        ));
                        continue;
                    }
                    // "NN[|||||     12.3%] "
                    let inner = cell.saturating_sub(label.len() + 3);
                    let filled = usage.map_or(0, |u| ((u / 100.0) * inner as f64).round() as usize);
                    let bar_len = inner.saturating_sub(pct.len());
                    let bars = filled.min(bar_len);
                    spans.push(Span::styled(label, t.header_label()));
                    spans.push(Span::raw("["));
                    spans.push(Span::styled("|".repeat(bars), t.bar()));
                    spans.push(Span::raw(" ".repeat(bar_len - bars)));
                    spans.push(Span::styled(pct, t.busy(usage.unwrap_or(0.0))));
                    spans.push(Span::raw("] "));
                }
                Line::from(spans)
            })
            .collect()
    }
}

fn note_line(m: &Model) -> Option<String> {
    let n = &m.current.notes;
    let mut parts = Vec::new();
    if n.hidepid {
        parts.push("/proc is mounted with hidepid: other users' processes are hidden".to_string());
    }
    if m.summary.unreadable > 0 {
        parts.push(format!(
            "{} tasks unreadable (permission denied), shown as ?",
            m.summary.unreadable
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

impl Widget for HeaderPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let Some(m) = self.model else {
            Paragraph::new("threadtop: reading /proc…").render(area, buf);
            return;
        };
        let mut lines = self.cpu_lines(m, area.width);
        let s = &m.summary;
        let label = |text: &str| Span::styled(text.to_string(), t.header_label());
        lines.push(Line::from(vec![
            label("Tasks "),
            Span::raw(format!("{} ({} processes): ", s.tasks, s.processes)),
            Span::styled(format!("{} R", s.runnable), t.state(b'R')),
            Span::raw(format!(
                " runnable, {} S sleeping, {} I idle, ",
                s.sleeping, s.idle
            )),
            Span::styled(format!("{} D", s.disk_sleep), t.state(b'D')),
            Span::raw(" disk, "),
            Span::styled(format!("{} T", s.stopped), t.state(b'T')),
            Span::raw(" stopped, "),
            Span::styled(format!("{} Z", s.zombie), t.state(b'Z')),
            Span::raw(" zombie"),
        ]));
        let sys = &m.current.system;
        let mut info = vec![
            label("Threads "),
            Span::raw(format!(
                "{} user, {} kernel  ",
                s.user_threads, s.kernel_threads
            )),
        ];
        if let Some([a, b, c]) = sys.load {
            info.push(label("Load "));
            info.push(Span::raw(format!("{a:.2} {b:.2} {c:.2}  ")));
        }
        if let Some(mem) = sys.mem {
            let used = mem.total_bytes.saturating_sub(mem.available_bytes);
            info.push(label("Mem "));
            info.push(Span::raw(format!(
                "{}/{}  ",
                format::bytes(used),
                format::bytes(mem.total_bytes)
            )));
            if mem.swap_total_bytes > 0 {
                info.push(label("Swap "));
                info.push(Span::raw(format!(
                    "{}/{}  ",
                    format::bytes(mem.swap_total_bytes.saturating_sub(mem.swap_free_bytes)),
                    format::bytes(mem.swap_total_bytes)
                )));
            }
        }
        if let Some(up) = sys.uptime_secs {
            info.push(label("Up "));
            info.push(Span::raw(format!("{}  ", format::uptime(up))));
        }
        info.push(label("Every "));
        info.push(Span::raw(format::duration(self.refresh_interval)));
        lines.push(Line::from(info));
        if let Some(note) = note_line(m) {
            lines.push(Line::styled(format!("! {note}"), t.warning()));
        }
        Paragraph::new(lines).render(area, buf);
    }
}
