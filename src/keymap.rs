//! The one table of key bindings. The help screen and the footer are generated from it,
//! so what they say is always what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Pane};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The process/thread list.
    Normal,
    /// Typing a filter: printable keys go into the filter text.
    Filter,
    /// The help screen is open.
    Help,
    /// Choosing CPUs for an affinity change.
    Affinity,
    /// Choosing the signal to send.
    Signal,
    /// A yes/no question before an action that changes the system.
    Confirm,
    /// Typing a time to jump to in a replay.
    Jump,
    /// The column editor is open.
    Columns,
    /// Typing a search (F3): the cursor jumps to matches, nothing is hidden.
    Search,
    /// Typing or picking the user to show (`u`).
    User,
    /// Choosing a tool to hand the selected task to (`!`).
    Tools,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}
const fn c(ch: char) -> Key {
    Key {
        code: KeyCode::Char(ch),
        ctrl: false,
    }
}
const fn ctrl(ch: char) -> Key {
    Key {
        code: KeyCode::Char(ch),
        ctrl: true,
    }
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        Key {
            code: e.code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Backspace => "Bksp".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(ch) => ch.to_string(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

pub struct Binding {
    pub mode: Mode,
    pub keys: &'static [Key],
    pub action: Action,
    /// Shown in the footer of its mode (the rest only in the help screen).
    pub hint: bool,
    /// Only meaningful when replaying a recording.
    pub replay_only: bool,
}

const fn b(mode: Mode, keys: &'static [Key], action: Action, hint: bool) -> Binding {
    Binding {
        mode,
        keys,
        action,
        hint,
        replay_only: false,
    }
}

const fn r(keys: &'static [Key], action: Action, hint: bool) -> Binding {
    Binding {
        mode: Mode::Normal,
        keys,
        action,
        hint,
        replay_only: true,
    }
}

use KeyCode as K;
use Mode::{
    Affinity as A, Columns as E, Confirm as Y, Filter as F, Help as H, Jump as J, Normal as N,
    Search as Q, Signal as S, Tools as O, User as U,
};

pub static BINDINGS: &[Binding] = &[
    b(N, &[k(K::Up)], Action::Up, false),
    b(N, &[k(K::Down)], Action::Down, false),
    b(N, &[k(K::PageUp), ctrl('b')], Action::PageUp, false),
    b(N, &[k(K::PageDown), ctrl('f')], Action::PageDown, false),
    b(N, &[k(K::Home), c('g')], Action::Home, false),
    b(N, &[k(K::End), c('G')], Action::End, false),
    b(N, &[k(K::Enter), c(' ')], Action::ToggleFold, true),
    b(N, &[k(K::Right), c('l')], Action::Expand, false),
    b(N, &[k(K::Left), c('h')], Action::Collapse, false),
    b(N, &[c('{')], Action::FoldAll, false),
    b(N, &[c('}')], Action::UnfoldAll, false),
    b(N, &[c('/')], Action::StartFilter, true),
    b(N, &[k(K::Esc)], Action::ClearFilter, false),
    b(N, &[c('>'), c('.')], Action::SortNext, true),
    b(N, &[c('<'), c(',')], Action::SortPrev, false),
    b(N, &[c('P')], Action::SortByCpu, true),
    b(N, &[c('r'), c('I')], Action::ReverseSort, false),
    b(N, &[c('f')], Action::Follow, true),
    b(N, &[c('K')], Action::HideKernel, false),
    b(N, &[c('H')], Action::ProcessesOnly, false),
    b(N, &[c('t')], Action::ToggleTree, false),
    b(N, &[c('c')], Action::CycleColumns, true),
    b(N, &[c('o'), k(K::F(2))], Action::EditColumns, false),
    b(N, &[c('C')], Action::TogglePane(Pane::Cpus), true),
    b(N, &[c('p')], Action::TogglePane(Pane::Placement), true),
    b(N, &[c('a')], Action::SetAffinity, true),
    // `k` as in htop (kill); Up is the arrow only, so `j` is not half of a vi pair either.
    b(N, &[c('k'), c('S'), k(K::F(9))], Action::SendSignal, true),
    b(N, &[c('+')], Action::NicePlus, false),
    b(N, &[c('-')], Action::NiceMinus, false),
    b(N, &[c('s')], Action::TogglePane(Pane::Shares), true),
    b(N, &[c('e')], Action::TogglePane(Pane::Explain), true),
    b(N, &[c('w')], Action::TogglePane(Pane::Why), true),
    // `!` as a shell escape (vi, less): a tool (strace, lsof, gdb) on the selected task.
    b(N, &[c('!')], Action::HandOff, true),
    // After the panes: on a narrow footer the basic keys keep their place.
    // Not `u`: that is htop's user filter; `b` and `v` are a replay's keys.
    b(N, &[c('z')], Action::GroupByCgroup, true),
    b(N, &[k(K::Tab)], Action::FocusNext, false),
    b(N, &[k(K::BackTab)], Action::FocusPrev, false),
    b(N, &[c('[')], Action::Faster, false),
    b(N, &[c(']')], Action::Slower, false),
    b(N, &[c('?'), k(K::F(1))], Action::Help, true),
    b(N, &[c('q'), k(K::F(10)), ctrl('c')], Action::Quit, true),
    b(N, &[ctrl('z')], Action::Suspend, false),
    b(F, &[k(K::Enter)], Action::FilterAccept, true),
    b(F, &[k(K::Esc)], Action::FilterCancel, true),
    b(F, &[k(K::Backspace)], Action::FilterBackspace, true),
    b(F, &[ctrl('u')], Action::FilterClearLine, false),
    b(F, &[k(K::Up)], Action::Up, false),
    b(F, &[k(K::Down)], Action::Down, false),
    b(F, &[k(K::PageUp)], Action::PageUp, false),
    b(F, &[k(K::PageDown)], Action::PageDown, false),
    b(F, &[ctrl('c')], Action::Quit, false),
    b(F, &[ctrl('z')], Action::Suspend, false),
    b(
        H,
        &[k(K::Esc), c('?'), c('q'), k(K::F(1))],
        Action::CloseHelp,
        true,
    ),
    b(
        H,
        &[k(K::Down), c('j'), k(K::PageDown), c(' ')],
        Action::HelpScrollDown,
        true,
    ),
    b(
        H,
        &[k(K::Up), c('k'), k(K::PageUp)],
        Action::HelpScrollUp,
        false,
    ),
    b(H, &[k(K::Home), c('g')], Action::HelpTop, false),
    b(H, &[k(K::End), c('G')], Action::HelpBottom, false),
    b(H, &[ctrl('c')], Action::Quit, false),
    b(H, &[ctrl('z')], Action::Suspend, false),
    b(A, &[k(K::Up), c('k')], Action::PickerUp, false),
    b(A, &[k(K::Down), c('j')], Action::PickerDown, false),
    b(A, &[c(' '), c('x')], Action::PickerToggle, true),
    b(A, &[c('a')], Action::PickerAll, true),
    b(A, &[c('n')], Action::PickerNone, true),
    b(A, &[k(K::Enter)], Action::PickerAccept, true),
    b(A, &[k(K::Esc), c('q')], Action::PickerCancel, true),
    b(A, &[ctrl('c')], Action::Quit, false),
    b(A, &[ctrl('z')], Action::Suspend, false),
    b(S, &[k(K::Up), c('k')], Action::SignalUp, false),
    b(S, &[k(K::Down), c('j')], Action::SignalDown, false),
    b(S, &[k(K::Enter)], Action::SignalAccept, true),
    b(S, &[k(K::Esc), c('q')], Action::SignalCancel, true),
    b(S, &[ctrl('c')], Action::Quit, false),
    b(S, &[ctrl('z')], Action::Suspend, false),
    b(E, &[k(K::Up), c('k')], Action::ColumnsUp, false),
    b(E, &[k(K::Down), c('j')], Action::ColumnsDown, false),
    b(E, &[c(' '), k(K::Enter)], Action::ColumnsToggle, true),
    // htop's column setup moves with F7 / F8 and [ / ].
    b(E, &[c('['), k(K::F(7))], Action::ColumnsMoveLeft, true),
    b(E, &[c(']'), k(K::F(8))], Action::ColumnsMoveRight, true),
    b(E, &[c('c')], Action::ColumnsNextSet, true),
    b(E, &[c('d')], Action::ColumnsReset, true),
    b(E, &[c('w')], Action::ColumnsSave, true),
    b(
        E,
        &[k(K::Esc), c('q'), c('o'), k(K::F(2))],
        Action::ColumnsClose,
        true,
    ),
    b(E, &[ctrl('c')], Action::Quit, false),
    b(E, &[ctrl('z')], Action::Suspend, false),
    b(Y, &[c('y'), k(K::Enter)], Action::ConfirmYes, true),
    b(Y, &[c('n'), k(K::Esc), c('q')], Action::ConfirmNo, true),
    b(Y, &[ctrl('c')], Action::Quit, false),
    b(Y, &[ctrl('z')], Action::Suspend, false),
    r(&[c('v')], Action::ReplayPlayPause, true),
    r(&[c('b')], Action::ReplayBack, true),
    r(&[c('n')], Action::ReplayForward, true),
    r(&[c('B')], Action::ReplayBack10, false),
    r(&[c('N')], Action::ReplayForward10, false),
    r(&[c('x')], Action::ReplaySpeed, true),
    r(&[c(':')], Action::ReplayJump, true),
    b(J, &[k(K::Enter)], Action::JumpAccept, true),
    b(J, &[k(K::Esc)], Action::JumpCancel, true),
    b(J, &[k(K::Backspace)], Action::JumpBackspace, false),
    b(J, &[ctrl('c')], Action::Quit, false),
    b(J, &[ctrl('z')], Action::Suspend, false),
    // htop's keys (README "Coming from htop"): what does the same here, or what to use.
    b(N, &[k(K::F(3))], Action::StartSearch, false),
    b(N, &[k(K::F(4))], Action::StartFilter, false),
    b(N, &[k(K::F(5))], Action::ToggleTree, false),
    b(N, &[k(K::F(6))], Action::Says(SAY_F6), false),
    b(N, &[c('M')], Action::SortByMemory, false),
    b(N, &[c('T')], Action::SortByTime, false),
    b(N, &[c('u')], Action::PickUser, false),
    // Tags (htop's Space, which folds here): signal, nice and affinity act on them.
    b(N, &[c('m')], Action::Tag, false),
    b(N, &[c('U')], Action::UntagAll, false),
    b(Q, &[k(K::Enter)], Action::SearchAccept, true),
    b(Q, &[k(K::F(3))], Action::SearchNext, true),
    b(Q, &[k(K::Esc)], Action::SearchCancel, true),
    b(Q, &[k(K::Backspace)], Action::SearchBackspace, false),
    b(Q, &[ctrl('u')], Action::SearchClearLine, false),
    b(Q, &[ctrl('c')], Action::Quit, false),
    b(Q, &[ctrl('z')], Action::Suspend, false),
    b(U, &[k(K::Enter)], Action::UserAccept, true),
    b(U, &[k(K::Down), k(K::Tab)], Action::UserNext, true),
    b(U, &[k(K::Up), k(K::BackTab)], Action::UserPrev, false),
    b(U, &[k(K::Esc)], Action::UserCancel, true),
    b(U, &[k(K::Backspace)], Action::UserBackspace, false),
    b(U, &[ctrl('c')], Action::Quit, false),
    b(U, &[ctrl('z')], Action::Suspend, false),
    b(O, &[k(K::Up), c('k')], Action::ToolUp, false),
    b(O, &[k(K::Down), c('j')], Action::ToolDown, false),
    b(O, &[k(K::Enter)], Action::ToolStart, true),
    b(O, &[k(K::Esc), c('q')], Action::ToolCancel, true),
    b(O, &[ctrl('c')], Action::Quit, false),
    b(O, &[ctrl('z')], Action::Suspend, false),
];

/// F6, htop's sort menu.
pub const SAY_F6: &str = "sort: use > / < (or click a column header); P by CPU, T by time";

/// The action bound to `key` in `mode`, if any. In filter mode unbound printable keys
/// are text, which the caller handles.
pub fn lookup(mode: Mode, key: Key) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| b.mode == mode && b.keys.contains(&key))
        .map(|b| b.action)
}

/// `keys label` pairs for the footer of `mode` (replay's own keys only in a replay,
/// first, since they are what a replay is about).
pub fn hints(mode: Mode, replay: bool) -> Vec<(String, &'static str)> {
    let (mut first, rest): (Vec<&Binding>, Vec<&Binding>) = BINDINGS
        .iter()
        .filter(|b| b.mode == mode && b.hint && (replay || !b.replay_only))
        .partition(|b| b.replay_only);
    first.extend(rest);
    first
        .into_iter()
        .map(|b| (b.keys[0].label(), b.action.short()))
        .collect()
}

/// Every binding of `mode` as (all its keys, description), in table order; `replay`
/// selects the replay-only ones instead of the others.
pub fn help_lines(mode: Mode, replay: bool) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode && b.replay_only == replay)
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(Key::label).collect();
            (keys.join(" "), b.action.description())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_key_is_bound_twice_in_a_mode() {
        let mut seen = HashSet::new();
        for b in BINDINGS {
            for key in b.keys {
                assert!(
                    seen.insert((b.mode, *key)),
                    "{:?} bound twice in {:?}",
                    key,
                    b.mode
                );
            }
        }
    }

    #[test]
    fn every_hint_has_a_short_label() {
        for b in BINDINGS.iter().filter(|b| b.hint) {
            assert!(!b.action.short().is_empty(), "{:?}", b.action);
        }
    }

    #[test]
    fn quitting_works_from_every_mode() {
        for m in [
            Mode::Normal,
            Mode::Filter,
            Mode::Help,
            Mode::Affinity,
            Mode::Signal,
            Mode::Confirm,
            Mode::Jump,
            Mode::Columns,
            Mode::Search,
            Mode::User,
            Mode::Tools,
        ] {
            assert_eq!(lookup(m, ctrl('c')), Some(Action::Quit));
            assert_eq!(lookup(m, ctrl('z')), Some(Action::Suspend));
        }
    }
}
