//! The mouse: clicks and the wheel, on the screen the last frame drew (its layout), so a
//! click means what was under it.

use std::time::Instant;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::effects::Effects;
use super::overlay::Overlay;
use super::state::{App, DOUBLE_CLICK, WHEEL_STEP};
use crate::act::signal::SIGNALS;
use crate::action::Action;
use crate::keymap::Mode;
use crate::model::RowKind;
use crate::ui;

impl App {
    /// A mouse event, on the screen the last [`App::set_frame`] described.
    pub fn handle_mouse(&mut self, e: &MouseEvent) -> Effects {
        self.handle_mouse_at(e, Instant::now())
    }

    /// As [`App::handle_mouse`], at time `now` (for double clicks).
    pub fn handle_mouse_at(&mut self, e: &MouseEvent, now: Instant) -> Effects {
        self.settle();
        let fx = Effects::default();
        let Some(frame) = &self.frame else { return fx };
        if frame.layout.too_small {
            return fx;
        }
        let wheel = match e.kind {
            MouseEventKind::ScrollDown => WHEEL_STEP as i64,
            MouseEventKind::ScrollUp => -(WHEEL_STEP as i64),
            MouseEventKind::Down(MouseButton::Left) => 0,
            // Releases, motion, other buttons: nothing.
            _ => return fx,
        };
        self.status = None;
        let at = ratatui::layout::Position {
            x: e.column,
            y: e.row,
        };
        let in_table = frame.layout.table.contains(at);
        let pane = frame.layout.pane_at(e.column, e.row).map(|a| a.pane);
        match self.mode() {
            Mode::Help => self.help_wheel(wheel),
            // The wheel walks the column editor's list, as ↑ ↓ do; clicks there do nothing.
            Mode::Columns if wheel != 0 => {
                return self.update(if wheel > 0 {
                    Action::ColumnsDown
                } else {
                    Action::ColumnsUp
                });
            }
            Mode::Columns => {}
            Mode::Signal | Mode::Affinity => return self.mouse_in_picker(wheel, at, now),
            // The wheel walks the tools, a click selects one (Enter starts it: a click
            // should not hand the terminal away).
            Mode::Tools if wheel != 0 => {
                return self.update(if wheel > 0 {
                    Action::ToolDown
                } else {
                    Action::ToolUp
                });
            }
            Mode::Tools => {
                let area = frame.layout.table;
                if let Overlay::Tools(p) = &mut self.overlay {
                    let list =
                        ui::PickerList::new(area, ui::tools::WIDTH, p.entries.len(), p.cursor);
                    if let Some(i) = list.at(at.x, at.y).filter(|&i| i < p.entries.len()) {
                        p.cursor = i;
                    }
                }
            }
            // Questions and the time prompt answer keys only.
            Mode::Confirm | Mode::Jump | Mode::User => {}
            Mode::Normal | Mode::Filter | Mode::Search => match (wheel, in_table, pane) {
                (0, true, _) => {
                    self.focus = None;
                    self.click_table(e.column, e.row, now);
                }
                (0, false, Some(p)) => self.focus = Some(p),
                (_, true, _) if wheel != 0 => self.scroll_table(wheel),
                (_, false, Some(p)) if wheel != 0 => self.scroll_pane(p, wheel),
                _ => {}
            },
        }
        fx
    }

    /// The wheel moves a picker's cursor; a click on a signal selects it (a double click
    /// sends it, after the usual question), a click on a CPU toggles it.
    fn mouse_in_picker(
        &mut self,
        wheel: i64,
        at: ratatui::layout::Position,
        now: Instant,
    ) -> Effects {
        let signal = self.mode() == Mode::Signal;
        if wheel != 0 {
            let action = match (signal, wheel > 0) {
                (true, true) => Action::SignalDown,
                (true, false) => Action::SignalUp,
                (false, true) => Action::PickerDown,
                (false, false) => Action::PickerUp,
            };
            return self.update(action);
        }
        let Some(frame) = &self.frame else {
            return Effects::default();
        };
        let area = frame.layout.table;
        if signal {
            let Overlay::Signal(p) = &mut self.overlay else {
                return Effects::default();
            };
            let list = ui::PickerList::new(area, ui::signal::WIDTH, SIGNALS.len(), p.cursor);
            let Some(i) = list.at(at.x, at.y).filter(|&i| i < SIGNALS.len()) else {
                return Effects::default();
            };
            p.cursor = i;
            let double = self
                .last_pick
                .is_some_and(|(t, j)| j == i && now.duration_since(t) <= DOUBLE_CLICK);
            if double {
                self.last_pick = None;
                return self.update(Action::SignalAccept);
            }
            self.last_pick = Some((now, i));
        } else if let Overlay::Affinity(p) = &mut self.overlay {
            let list = ui::PickerList::new(area, ui::affinity::WIDTH, p.cpus.len(), p.cursor);
            if let Some(i) = list.at(at.x, at.y).filter(|&i| i < p.cpus.len()) {
                p.cursor = i;
                return self.update(Action::PickerToggle);
            }
        }
        Effects::default()
    }

    /// A left click in the table: a column header sorts (the sort column again reverses
    /// it), a row is selected, its fold mark or a double click folds or unfolds it.
    fn click_table(&mut self, x: u16, y: u16, now: Instant) {
        let Some(frame) = &self.frame else { return };
        let table = frame.layout.table;
        if y == table.y {
            self.last_click = None;
            let Some(key) =
                ui::tree::header_sort_at(&frame.columns, table.width, frame.sort, x - table.x)
            else {
                return;
            };
            if key == self.opts.sort {
                self.opts.reverse = !self.opts.reverse;
            } else {
                self.opts.sort = key;
                self.opts.reverse = false;
            }
            self.rebuild();
            return;
        }
        let line = usize::from(y - table.y - 1);
        let Some(&(key, kind)) = frame.rows.get(line) else {
            return;
        };
        let name_x = table.x + ui::tree::name_column_x(&frame.columns, table.width, frame.sort);
        // The row may have moved since it was drawn: find it by identity.
        let Some(i) = self
            .rows
            .iter()
            .position(|r| r.key == key && r.kind == kind)
        else {
            return;
        };
        let row = &self.rows[i];
        let glyph_x = name_x + ui::tree::fold_mark_x(row);
        let on_mark = row.kind == RowKind::Pool || (row.kind == RowKind::Process && row.foldable);
        let on_mark = on_mark && (glyph_x..glyph_x + 2).contains(&x);
        let double = self.last_click.is_some_and(|(t, k, kd)| {
            k == key && kd == kind && now.duration_since(t) <= DOUBLE_CLICK
        });
        if i != self.cursor {
            self.move_to(i);
        }
        if on_mark || double {
            self.last_click = None;
            self.toggle_fold();
        } else {
            self.last_click = Some((now, key, kind));
        }
    }
}
