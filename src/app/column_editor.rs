//! The column editor (`o` / F2): pick, order and hide the table's columns. Changes apply to
//! the table at once; `w` writes them to the config file.

use super::effects::{ActRequest, Effects};
use super::overlay::Overlay;
use super::state::App;
use crate::action::Action;
use crate::model::columns::{Column, ColumnLayout, ColumnSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnEditor {
    /// The set being edited (the one on screen when the editor opened; `c` switches).
    pub set: ColumnSet,
    /// Index into [`rows`].
    pub cursor: usize,
}

/// The editor's list: the shown columns in their order, then the hidden ones.
pub fn rows(layout: &ColumnLayout, set: ColumnSet) -> Vec<(Column, bool)> {
    layout.editor_rows(set)
}

impl ColumnEditor {
    pub fn new(set: ColumnSet) -> Self {
        ColumnEditor { set, cursor: 0 }
    }

    pub fn column(&self, layout: &ColumnLayout) -> Option<Column> {
        rows(layout, self.set).get(self.cursor).map(|r| r.0)
    }

    pub fn up(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn down(&mut self) {
        self.cursor = (self.cursor + 1).min(Column::ALL.len() - 1);
    }

    /// Shows a hidden column (at the end of the shown ones) or hides a shown one; the
    /// cursor stays on that column.
    pub fn toggle(&mut self, layout: &mut ColumnLayout) {
        let Some(col) = self.column(layout) else {
            return;
        };
        let list = layout.get_mut(self.set);
        match list.iter().position(|c| *c == col) {
            Some(i) => {
                list.remove(i);
            }
            None => list.push(col),
        }
        self.follow(layout, col);
    }

    /// Moves the shown column under the cursor one place left (`up`) or right in the table.
    pub fn shift(&mut self, layout: &mut ColumnLayout, up: bool) {
        let Some(col) = self.column(layout) else {
            return;
        };
        let list = layout.get_mut(self.set);
        let Some(i) = list.iter().position(|c| *c == col) else {
            return;
        };
        let j = if up { i.checked_sub(1) } else { Some(i + 1) };
        if let Some(j) = j.filter(|j| *j < list.len()) {
            list.swap(i, j);
        }
        self.follow(layout, col);
    }

    /// Puts the set back to the built-in columns.
    pub fn reset(&mut self, layout: &mut ColumnLayout) {
        *layout.get_mut(self.set) = ColumnLayout::default().get(self.set).to_vec();
        self.cursor = 0;
    }

    pub fn switch_set(&mut self) {
        self.set = self.set.next();
        self.cursor = 0;
    }

    fn follow(&mut self, layout: &ColumnLayout, col: Column) {
        if let Some(i) = rows(layout, self.set).iter().position(|r| r.0 == col) {
            self.cursor = i;
        }
    }
}

impl App {
    /// The editor's keys; the table behind shows the set being edited, as it changes.
    pub(super) fn columns_key(&mut self, action: Action) -> Effects {
        let mut fx = Effects::default();
        match action {
            Action::EditColumns => self.overlay = Overlay::Columns(ColumnEditor::new(self.columns)),
            Action::ColumnsClose => self.overlay = Overlay::None,
            Action::ColumnsSave => {
                fx.act = Some(ActRequest::SaveColumns {
                    path: self.config_path.clone(),
                    layout: self.column_layout.clone(),
                })
            }
            _ => {
                let Overlay::Columns(e) = &mut self.overlay else {
                    return fx;
                };
                let layout = &mut self.column_layout;
                match action {
                    Action::ColumnsUp => e.up(),
                    Action::ColumnsDown => e.down(),
                    Action::ColumnsToggle => e.toggle(layout),
                    Action::ColumnsMoveLeft => e.shift(layout, true),
                    Action::ColumnsMoveRight => e.shift(layout, false),
                    Action::ColumnsNextSet => e.switch_set(),
                    Action::ColumnsReset => e.reset(layout),
                    _ => {}
                }
                self.columns = e.set;
            }
        }
        fx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Column::*;

    fn layout(basic: &[Column]) -> ColumnLayout {
        ColumnLayout {
            basic: basic.to_vec(),
            ..ColumnLayout::default()
        }
    }

    #[test]
    fn rows_list_the_shown_columns_first_then_every_other_once() {
        let r = rows(&layout(&[Cpu, Tid]), ColumnSet::Basic);
        assert_eq!(r[0], (Cpu, true));
        assert_eq!(r[1], (Tid, true));
        assert_eq!(r.len(), Column::ALL.len());
        assert!(r[2..].iter().all(|(_, shown)| !shown));
        assert_eq!(r[2].0, Tgid, "hidden ones in the canonical order");
    }

    #[test]
    fn toggling_hides_and_shows_and_the_cursor_follows_the_column() {
        let mut l = layout(&[Tid, State, Cpu]);
        let mut e = ColumnEditor::new(ColumnSet::Basic);
        e.cursor = 1;
        e.toggle(&mut l);
        assert_eq!(l.basic, vec![Tid, Cpu]);
        assert_eq!(
            e.column(&l),
            Some(State),
            "still on STATE, now among the hidden"
        );
        e.toggle(&mut l);
        assert_eq!(l.basic, vec![Tid, Cpu, State], "shown again, at the end");
        assert_eq!(e.cursor, 2);
        assert_eq!(
            l.scheduling,
            ColumnLayout::default().scheduling,
            "other set untouched"
        );
    }

    #[test]
    fn shifting_moves_a_shown_column_and_stops_at_the_ends() {
        let mut l = layout(&[Tid, State, Cpu]);
        let mut e = ColumnEditor::new(ColumnSet::Basic);
        e.cursor = 2;
        e.shift(&mut l, true);
        assert_eq!(l.basic, vec![Tid, Cpu, State]);
        assert_eq!(e.cursor, 1);
        e.shift(&mut l, true);
        e.shift(&mut l, true);
        assert_eq!(l.basic, vec![Cpu, Tid, State]);
        assert_eq!(e.cursor, 0);
        e.cursor = 2;
        e.shift(&mut l, false);
        assert_eq!(l.basic, vec![Cpu, Tid, State], "already last");
        // A hidden column has no place to move from.
        e.cursor = 5;
        let before = l.clone();
        e.shift(&mut l, true);
        assert_eq!(l, before);
    }

    #[test]
    fn reset_and_switch() {
        let mut l = layout(&[Cpu]);
        let mut e = ColumnEditor::new(ColumnSet::Basic);
        e.reset(&mut l);
        assert_eq!(l, ColumnLayout::default());
        e.switch_set();
        assert_eq!(e.set, ColumnSet::Scheduling);
        e.down();
        e.toggle(&mut l);
        assert!(!l.scheduling.contains(&State));
    }
}
