//! The filter line's keys (`/`): what is typed filters the table at once.

use super::effects::Effects;
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;
use crate::model::Filter;

impl App {
    pub(super) fn filter_key(&mut self, action: Action) -> Effects {
        match action {
            Action::StartFilter => self.overlay = Overlay::Filter,
            Action::ClearFilter | Action::FilterCancel => {
                self.filter_text.clear();
                if action == Action::ClearFilter {
                    // Esc clears the filters: the user filter (`u`) is one of them.
                    self.opts.user = None;
                }
                self.overlay = Overlay::None;
                self.apply_filter();
            }
            Action::FilterAccept => self.overlay = Overlay::None,
            Action::FilterBackspace => {
                self.filter_text.pop();
                self.apply_filter();
            }
            Action::FilterClearLine => {
                self.filter_text.clear();
                self.apply_filter();
            }
            _ => {}
        }
        Effects::default()
    }

    /// A printable key while the filter line is open. The rows are rebuilt once for a run
    /// of typed keys, when the next action or frame needs them ([`App::settle`]): at 20,000
    /// tasks a rebuild per key made a 3,000-key paste take a minute.
    pub(super) fn filter_type(&mut self, ch: char) {
        self.filter_text.push(ch);
        self.opts.filter = Filter::parse(&self.filter_text);
        self.offset = 0;
        self.rows_stale = true;
    }

    fn apply_filter(&mut self) {
        self.opts.filter = Filter::parse(&self.filter_text);
        self.offset = 0;
        self.rebuild();
    }
}
