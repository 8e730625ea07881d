//! The search line (F3, as htop): what is typed moves the cursor to the next matching row
//! and hides nothing; F3 (or `n` once the line is closed) goes on to the next one.

use super::effects::Effects;
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;
use crate::model::{Filter, Row, RowKind};

/// Whether `row` is what `f` looks for: a TID (or a process row's PID), or a name or
/// command line by the filter's pattern rules.
fn hit(f: &Filter, row: &Row) -> bool {
    match f {
        Filter::None => false,
        Filter::Id(id) => row.tid == *id || (row.kind == RowKind::Process && row.tgid == *id),
        Filter::Pattern(p) => p.matches(&row.name) || p.matches(&row.command),
    }
}

impl App {
    pub(super) fn search_key(&mut self, action: Action) -> Effects {
        match action {
            Action::StartSearch => {
                let again = !self.search_text.is_empty();
                self.overlay = Overlay::Search;
                if again {
                    self.search_from(self.cursor + 1);
                }
            }
            Action::SearchNext => self.search_from(self.cursor + 1),
            Action::SearchAccept | Action::SearchCancel => self.overlay = Overlay::None,
            Action::SearchBackspace => {
                self.search_text.pop();
                self.search_from(self.cursor);
            }
            Action::SearchClearLine => self.search_text.clear(),
            _ => {}
        }
        Effects::default()
    }

    /// A printable key on the search line: the first match from the cursor on.
    pub(super) fn search_type(&mut self, ch: char) {
        self.search_text.push(ch);
        self.search_from(self.cursor);
    }

    /// Moves to the first match at or after `start`, wrapping around; says "no match"
    /// (and stays) when no row matches.
    fn search_from(&mut self, start: usize) {
        self.settle();
        let f = Filter::parse(&self.search_text);
        let n = self.rows.len();
        if !f.is_active() || n == 0 {
            return;
        }
        let found = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| hit(&f, &self.rows[i]));
        match found {
            Some(i) => {
                if i < start.min(n) {
                    self.status = Some(format!(
                        "search \"{}\": wrapped to the top",
                        self.search_text
                    ));
                }
                self.move_to(i);
            }
            None => self.status = Some(format!("search \"{}\": no match", self.search_text)),
        }
    }
}
