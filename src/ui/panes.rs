//! The panes below the table, as one registry: what each is, what it needs the collector
//! to read about the selection, what its scroll follows, and how its widget is built.
//! Their order here is the order they are stacked in (and [`Pane::ALL`]'s).
//!
//! Adding a pane: its widget in its own file implementing [`PaneView`], a [`Pane`] variant
//! (crate::action, with its help words), one row in [`PANES`], one key binding
//! (crate::keymap). Visibility, scrolling, focus, layout and the detail plan follow from
//! the row (see CONTRIBUTING.md).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub use crate::action::Pane;
use crate::model::derived::Derived;
use crate::model::{Model, Row};

use super::cpus::CpusPane;
use super::explain::ExplainPane;
use super::placement::PlacementPane;
use super::shares::SharesPane;
use super::theme::Theme;
use super::why::WhyPane;

/// A pane's widget, built once per frame from borrowed data.
pub trait PaneView {
    /// Lines it would like, border included, in a pane `width` wide.
    fn height(&self, width: u16) -> u16;
    /// Lines of content that do not fit in `area` (border included): the largest scroll.
    fn max_scroll(&self, area: Rect) -> u16;
    fn render(self: Box<Self>, area: Rect, buf: &mut Buffer);
}

/// What a pane's widget is built from.
pub struct PaneCtx<'a> {
    pub model: &'a Model,
    pub selected: Option<&'a Row>,
    /// The per-tick views about the selection (explain card, share matrix).
    pub derived: &'a Derived,
    pub replay: bool,
    pub theme: Theme,
    /// Lines scrolled past (the widget clamps it to what there is).
    pub scroll: u16,
    pub focused: bool,
}

/// What a pane needs the collector to read about the selection while it is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// `status` (allowed CPUs) of every task of the selected process.
    pub process_status: bool,
    /// `sched` (exact migrations) of every task of the selected process.
    pub process_sched: bool,
    /// What the selected process shares (kcmp, namespaces).
    pub process_shares: bool,
    /// The selected task's wait channel, system call and `status`.
    pub task_explain: bool,
    /// What tasks wait on (the wait sampler's rounds): verdicts and breakdowns.
    pub waits: bool,
}

/// What a pane shows, so its scroll goes back to the top when that changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// The whole machine: the selection does not matter.
    Machine,
    /// The selected process.
    Process,
    /// The selected task.
    Task,
}

pub struct PaneDef {
    pub pane: Pane,
    pub needs: Needs,
    pub about: About,
    pub build: for<'a> fn(&PaneCtx<'a>) -> Box<dyn PaneView + 'a>,
}

const NONE: Needs = Needs {
    process_status: false,
    process_sched: false,
    process_shares: false,
    task_explain: false,
    waits: false,
};

/// The registry: one row per pane, in [`Pane::ALL`] order.
pub static PANES: [PaneDef; 5] = [
    PaneDef {
        pane: Pane::Cpus,
        needs: NONE,
        about: About::Machine,
        build: |c| {
            Box::new(CpusPane {
                model: c.model,
                selected_tgid: c.selected.map(|r| r.tgid),
                cpusets: &c.derived.cgroups.cpusets,
                theme: c.theme,
                scroll: c.scroll,
                focused: c.focused,
            })
        },
    },
    PaneDef {
        pane: Pane::Placement,
        needs: Needs {
            process_status: true,
            process_sched: true,
            ..NONE
        },
        about: About::Process,
        build: |c| {
            Box::new(PlacementPane {
                model: c.model,
                selected_tgid: c.selected.map(|r| r.tgid),
                theme: c.theme,
                scroll: c.scroll,
                focused: c.focused,
            })
        },
    },
    PaneDef {
        pane: Pane::Shares,
        needs: Needs {
            process_shares: true,
            ..NONE
        },
        about: About::Process,
        build: |c| {
            Box::new(SharesPane {
                view: c.derived.shares.as_ref(),
                replay: c.replay,
                theme: c.theme,
                scroll: c.scroll,
                focused: c.focused,
            })
        },
    },
    PaneDef {
        pane: Pane::Why,
        needs: Needs {
            waits: true,
            ..NONE
        },
        about: About::Process,
        build: |c| {
            Box::new(WhyPane {
                view: c.derived.why.as_ref(),
                theme: c.theme,
                scroll: c.scroll,
                focused: c.focused,
            })
        },
    },
    PaneDef {
        pane: Pane::Explain,
        // The card also says whom the task shares with (kcmp, from the share report).
        needs: Needs {
            process_shares: true,
            task_explain: true,
            waits: true,
            ..NONE
        },
        about: About::Task,
        build: |c| {
            Box::new(ExplainPane {
                card: c.derived.explain.as_deref(),
                theme: c.theme,
                scroll: c.scroll,
                focused: c.focused,
            })
        },
    },
];

pub fn def(p: Pane) -> &'static PaneDef {
    &PANES[p.index()]
}

/// Which panes are open and how far each is scrolled: the one place both live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaneStates {
    open: [bool; Pane::ALL.len()],
    scroll: [u16; Pane::ALL.len()],
    /// The pane opened last: kept when the window cannot hold them all (the key just
    /// pressed shows its pane; `w` with the CPU pane open at 80x24 used to show nothing).
    last_opened: Option<Pane>,
}

impl PaneStates {
    pub fn is_open(&self, p: Pane) -> bool {
        self.open[p.index()]
    }

    /// Opens or closes `p`, from its top.
    pub fn set_open(&mut self, p: Pane, open: bool) {
        self.open[p.index()] = open;
        self.scroll[p.index()] = 0;
        if open {
            self.last_opened = Some(p);
        } else if self.last_opened == Some(p) {
            self.last_opened = None;
        }
    }

    /// The pane opened last, while it is open.
    pub fn last_opened(&self) -> Option<Pane> {
        self.last_opened.filter(|p| self.is_open(*p))
    }

    pub fn scroll(&self, p: Pane) -> u16 {
        self.scroll[p.index()]
    }

    pub fn set_scroll(&mut self, p: Pane, lines: u16) {
        self.scroll[p.index()] = lines;
    }

    /// The open panes, in stacking order.
    pub fn open(&self) -> impl Iterator<Item = Pane> + '_ {
        Pane::ALL.into_iter().filter(|p| self.is_open(*p))
    }

    /// What the open panes need read about the selection, merged.
    pub fn needs(&self) -> Needs {
        self.open().map(|p| def(p).needs).fold(NONE, |a, b| Needs {
            process_status: a.process_status || b.process_status,
            process_sched: a.process_sched || b.process_sched,
            process_shares: a.process_shares || b.process_shares,
            task_explain: a.task_explain || b.task_explain,
            waits: a.waits || b.waits,
        })
    }

    /// The selection moved: panes about what it left go back to their top.
    pub fn selection_changed(&mut self, process: bool, task: bool) {
        for p in Pane::ALL {
            let reset = match def(p).about {
                About::Machine => false,
                About::Process => process,
                About::Task => task,
            };
            if reset {
                self.scroll[p.index()] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lists_every_pane_in_order() {
        for (i, p) in Pane::ALL.into_iter().enumerate() {
            assert_eq!(PANES[i].pane, p);
            assert_eq!(p.index(), i);
        }
    }
}
