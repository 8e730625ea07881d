//! The header: per-CPU usage bars, tasks by state, kernel vs user threads, load, memory.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;
use crate::model::Model;
use crate::model::format;

pub struct HeaderPane<'a> {
    pub model: Option<&'a Model>,
    pub refresh_interval: Duration,
    /// A shown cgroup was throttled in the last interval (`model::cgroups::throttle_hint`).
    pub cgroup_hint: Option<&'a str>,
    pub theme: Theme,
}

/// Above this many CPU lines the bars switch to compact cells.
const MAX_BAR_LINES: usize = 4;
const BAR_CELL: usize = 20;
const COMPACT_CELL: usize = 9;

/// One character per CPU, when even compact cells would take too many lines.
const STRIP_CELL: usize = 1;
/// "NNN-NNN " before each strip line.
const STRIP_LABEL: usize = 8;

fn cell_layout(cpus: usize, width: u16) -> (usize, usize) {
    let width = usize::from(width).max(1);
    let per_line = |cell: usize| {
        if cell == STRIP_CELL {
            width.saturating_sub(STRIP_LABEL).max(1)
        } else {
            (width / cell).max(1)
        }
    };
    let lines = |cell: usize| cpus.div_ceil(per_line(cell));
    let cell = if lines(BAR_CELL) <= MAX_BAR_LINES {
        BAR_CELL.max(width / cpus.max(1)).min(width)
    } else if lines(COMPACT_CELL) <= MAX_BAR_LINES {
        COMPACT_CELL
    } else {
        STRIP_CELL
    };
    (cell, lines(cell).max(1))
}

impl HeaderPane<'_> {
    pub fn height(&self, width: u16) -> u16 {
        let Some(m) = self.model else { return 1 };
        let (_, cpu_lines) = cell_layout(m.cpus.len(), width);
        let notes = u16::from(note_line(m).is_some());
        let hint = u16::from(self.cgroup_hint.is_some());
        cpu_lines as u16 + 2 + notes + hint
    }

    fn cpu_lines(&self, m: &Model, width: u16) -> Vec<Line<'static>> {
        let (cell, _) = cell_layout(m.cpus.len(), width);
        let t = self.theme;
        if cell == STRIP_CELL {
            // Each CPU is one block whose height is its usage; the label gives the range.
            let per_line = usize::from(width).saturating_sub(STRIP_LABEL).max(1);
            return m
                .cpus
                .chunks(per_line)
                .map(|chunk| {
                    let first = chunk.first().map_or(0, |c| c.0);
                    let last = chunk.last().map_or(0, |c| c.0);
                    let strip: String = chunk
                        .iter()
                        .map(|(_, u)| {
                            let levels = t.glyphs.levels;
                            let top = levels.len().saturating_sub(1);
                            let level =
                                u.map_or(0, |u| ((u / 100.0) * top as f64).round() as usize);
                            levels.get(level.min(top)).copied().unwrap_or(' ')
                        })
                        .collect();
                    Line::from(vec![
                        Span::styled(
                            format!("{:<w$}", format!("{first}-{last}"), w = STRIP_LABEL),
                            t.header_label(),
                        ),
                        Span::styled(strip, t.bar()),
                    ])
                })
                .collect();
        }
        let per_line = (usize::from(width) / cell).max(1);
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

/// Where the scheduling figures come from (`events: bpf`, or `events: off (why)`); nothing
/// when they were never asked for (a recording made without them).
fn events_source(m: &Model) -> Option<String> {
    use crate::collect::events::Events;
    match &m.current.events {
        Events::NotCollected => None,
        ev => Some(crate::model::events::source_label(ev)),
    }
}

fn note_line(m: &Model) -> Option<String> {
    let n = &m.current.notes;
    let mut parts = Vec::new();
    if n.hidepid {
        parts.push("/proc is mounted with hidepid: other users' processes are hidden".to_string());
    }
    if m.summary.unreadable > 0 {
        // The true reason: with too few descriptors every task read as "permission denied"
        // here while --json said "no_descriptors" (issue 19).
        let reasons = m.summary.unreadable_reasons();
        let why = match reasons.as_slice() {
            [(r, _)] => crate::model::view::unreadable_words(*r).to_string(),
            _ => reasons
                .iter()
                .map(|(r, n)| format!("{n} {}", crate::model::view::unreadable_words(*r)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let n = m.summary.unreadable;
        let tasks = if n == 1 { "task" } else { "tasks" };
        parts.push(format!("{n} {tasks} unreadable ({why}), shown as ?"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

impl Widget for HeaderPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let Some(m) = self.model else {
            Paragraph::new(format!("threadtop: reading /proc{}", t.glyphs.ellipsis))
                .render(area, buf);
            return;
        };
        let mut lines = self.cpu_lines(m, area.width);
        let s = &m.summary;
        let label = |text: &str| Span::styled(text.to_string(), t.header_label());
        let states = [
            (s.runnable, b'R', "runnable"),
            (s.sleeping, b'S', "sleeping"),
            (s.idle, b'I', "idle"),
            (s.disk_sleep, b'D', "disk"),
            (s.stopped, b'T', "stopped"),
            (s.zombie, b'Z', "zombie"),
        ];
        // Each count as wide as the total's, right-aligned (as top pads them): a count
        // that gains a digit (4 runnable, then 1083) no longer shifts everything after it,
        // which rewrote the whole line every refresh at 10,000 waking threads (about 120
        // of the 440 bytes a refresh sent, a quarter of htop's).
        let width = s.tasks.max(1).ilog10() as usize + 1;
        let tasks_line = |long: bool| {
            let mut spans = vec![
                label("Tasks "),
                Span::raw(if long {
                    let word = if s.processes == 1 {
                        "process"
                    } else {
                        "processes"
                    };
                    format!("{} ({} {word}): ", s.tasks, s.processes)
                } else {
                    let word = if s.processes == 1 { "proc" } else { "procs" };
                    format!("{}, {} {word}: ", s.tasks, s.processes)
                }),
            ];
            for (i, (n, letter, word)) in states.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::raw(", "));
                }
                spans.push(Span::styled(
                    format!("{n:>width$} {}", *letter as char),
                    t.state(*letter),
                ));
                if long {
                    spans.push(Span::raw(format!(" {word}")));
                }
            }
            Line::from(spans)
        };
        let long = tasks_line(true);
        lines.push(if long.width() <= usize::from(area.width) {
            long
        } else {
            tasks_line(false)
        });
        let sys = &m.current.system;
        // (label, value) pairs in order of importance; on a narrow terminal the last ones go.
        let mut pairs = vec![(
            "Threads ",
            format!("{} user, {} kernel", s.user_threads, s.kernel_threads),
        )];
        if let Some(source) = events_source(m) {
            pairs.push(("", source));
        }
        if let Some([a, b, c]) = sys.load {
            pairs.push(("Load ", format!("{a:.2} {b:.2} {c:.2}")));
        }
        if let Some(mem) = sys.mem {
            let used = mem.total_bytes.saturating_sub(mem.available_bytes);
            pairs.push((
                "Mem ",
                format!("{}/{}", format::bytes(used), format::bytes(mem.total_bytes)),
            ));
            if mem.swap_total_bytes > 0 {
                let swap_used = mem.swap_total_bytes.saturating_sub(mem.swap_free_bytes);
                pairs.push((
                    "Swap ",
                    format!(
                        "{}/{}",
                        format::bytes(swap_used),
                        format::bytes(mem.swap_total_bytes)
                    ),
                ));
            }
        }
        pairs.push(("Every ", format::duration(self.refresh_interval)));
        if let Some(up) = sys.uptime_secs {
            pairs.push(("Up ", format::uptime(up)));
        }
        let mut info = Vec::new();
        let mut used = 0;
        for (name, value) in pairs {
            let w = name.len() + value.chars().count() + 2;
            if used + w > usize::from(area.width) && !info.is_empty() {
                break;
            }
            used += w;
            info.push(label(name));
            info.push(Span::raw(format!("{value}  ")));
        }
        lines.push(Line::from(info));
        if let Some(note) = note_line(m) {
            lines.push(Line::styled(format!("! {note}"), t.warning()));
        }
        if let Some(hint) = self.cgroup_hint {
            lines.push(Line::styled(format!("! {hint}"), t.warning()));
        }
        Paragraph::new(lines).render(area, buf);
    }
}
