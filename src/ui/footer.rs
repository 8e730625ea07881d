//! The footer: what the view is (sort, filter, mode, messages) and the keys that matter now.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;
use crate::keymap::{self, Mode};
use crate::model::ViewOptions;

pub struct FooterPane<'a> {
    pub mode: Mode,
    pub opts: &'a ViewOptions,
    pub filter_text: &'a str,
    /// Rows tagged (`m`).
    pub tagged: usize,
    pub rows: usize,
    /// Of `rows`, those shown only as a match's ancestors.
    pub context_rows: usize,
    pub following: Option<u32>,
    pub status: Option<&'a str>,
    /// Replaying a recording: its keys are shown.
    pub replay: bool,
    /// Panes that are open but do not fit.
    pub hidden_panes: usize,
    pub theme: Theme,
}

impl Widget for FooterPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let g = t.glyphs;
        let o = self.opts;
        if let Some(msg) = self.status
            && !matches!(self.mode, Mode::Filter | Mode::Search | Mode::User)
            && msg.chars().count() > usize::from(area.width)
        {
            // Too long for one line: the message takes both, the key hints come back with
            // the next key press.
            Paragraph::new(Line::styled(msg.to_string(), t.warning()))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(area, buf);
            return;
        }
        let typing = matches!(
            self.mode,
            Mode::Filter | Mode::Jump | Mode::Search | Mode::User
        );
        let first = if let (Some(msg), false) = (self.status, typing) {
            // A message gets the whole line: it is what the user needs to read now.
            Line::styled(msg.to_string(), t.warning())
        } else if let Some(line) = super::footer_htop::prompt(&self, g.cursor) {
            line
        } else if self.mode == Mode::Jump {
            Line::from(vec![
                Span::styled("Jump to: ", t.header_label()),
                Span::raw(self.filter_text.to_string()),
                Span::raw(g.cursor),
                Span::styled(
                    "  an offset (90s, 1m30s) or a time of day (03:12:05)",
                    t.dim(),
                ),
            ])
        } else if self.mode == Mode::Filter {
            Line::from(vec![
                Span::styled("Filter: ", t.header_label()),
                Span::raw(self.filter_text.to_string()),
                Span::raw(g.cursor),
                Span::styled(
                    // Rows shown only to keep the tree are not matches (counting them
                    // said "4 rows match" for one matching thread).
                    match (
                        self.rows - self.context_rows.min(self.rows),
                        self.context_rows,
                    ) {
                        (1, 0) => "  1 row matches".to_string(),
                        (n, 0) => format!("  {n} rows match"),
                        (1, c) => format!("  1 row matches (+{c} for the tree)"),
                        (n, c) => format!("  {n} rows match (+{c} for the tree)"),
                    },
                    t.dim(),
                ),
            ])
        } else {
            let dir = if o.sort.descending() != o.reverse {
                g.sort_down
            } else {
                g.sort_up
            };
            let mut parts = vec![
                format!("sort {}{dir}", o.sort.name()),
                // A filter keeps the tree: matches under their ancestors (see model::view).
                if o.by_cgroup {
                    "by cgroup".into()
                } else if !o.tree {
                    "flat".into()
                } else if crate::model::view::narrowed(o) {
                    "tree: matches and their ancestors".into()
                } else {
                    "tree".into()
                },
            ];
            if !self.filter_text.is_empty() {
                parts.push(format!("filter \"{}\"", self.filter_text));
            }
            if let Some(user) = &o.user {
                parts.push(format!("user \"{user}\""));
            }
            if !o.pids.is_empty() {
                let pids: Vec<String> = o.pids.iter().map(u32::to_string).collect();
                parts.push(format!("-p {}", pids.join(",")));
            }
            if o.hide_kernel {
                parts.push("kernel threads hidden".into());
            }
            if o.processes_only {
                parts.push("processes only".into());
            }
            if self.tagged > 0 {
                parts.push(format!("{} tagged", self.tagged));
            }
            if let Some(tid) = self.following {
                parts.push(format!("following {tid}"));
            }
            parts.push(match self.rows {
                1 => "1 row".to_string(),
                n => format!("{n} rows"),
            });
            if self.hidden_panes > 0 {
                parts.push(format!(
                    "{} pane{} hidden: window too small",
                    self.hidden_panes,
                    if self.hidden_panes == 1 { "" } else { "s" }
                ));
            }
            Line::raw(parts.join(&format!(" {} ", g.separator)))
        };
        // When the hints do not fit, the ones before the last two go first: "help" and
        // "quit" must always be visible.
        let mut hints: Vec<(String, String)> = keymap::hints(self.mode, self.replay)
            .into_iter()
            .map(|(k, w)| (g.text(&k), g.text(w)))
            .collect();
        let width = |h: &[(String, String)]| -> usize {
            h.iter()
                .map(|(k, w)| k.chars().count() + w.chars().count() + 2)
                .sum()
        };
        while width(&hints) > usize::from(area.width) && hints.len() > 2 {
            hints.remove(hints.len() - 3);
        }
        let mut keys = Vec::new();
        for (key, what) in hints {
            keys.push(Span::styled(key, t.key()));
            keys.push(Span::raw(format!(" {what} ")));
        }
        Paragraph::new(vec![first, Line::from(keys)]).render(area, buf);
    }
}
