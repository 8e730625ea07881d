//! Everything a user can ask for, each with the words the help screen shows.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    ToggleFold,
    Expand,
    Collapse,
    FoldAll,
    UnfoldAll,
    StartFilter,
    ClearFilter,
    SortNext,
    SortPrev,
    SortByCpu,
    ReverseSort,
    Follow,
    HideKernel,
    ProcessesOnly,
    ToggleTree,
    Faster,
    Slower,
    Help,
    CloseHelp,
    Quit,
    // Filter line editing.
    FilterAccept,
    FilterCancel,
    FilterBackspace,
    FilterClearLine,
}

impl Action {
    pub fn description(self) -> &'static str {
        match self {
            Action::Up => "select the row above",
            Action::Down => "select the row below",
            Action::PageUp => "one page up",
            Action::PageDown => "one page down",
            Action::Home => "first row",
            Action::End => "last row",
            Action::ToggleFold => "fold or unfold the selected process",
            Action::Expand => "unfold the selected process",
            Action::Collapse => "fold the selected process (on a thread: go to its process)",
            Action::FoldAll => "fold every process",
            Action::UnfoldAll => "unfold every process",
            Action::StartFilter => "filter by name, PID/TID or pattern (* and ? wildcards)",
            Action::ClearFilter => "clear the filter",
            Action::SortNext => "sort by the next column",
            Action::SortPrev => "sort by the previous column",
            Action::SortByCpu => "sort by CPU %",
            Action::ReverseSort => "reverse the sort order",
            Action::Follow => "follow the selected task (keep it in view, say when it exits)",
            Action::HideKernel => "hide or show kernel threads",
            Action::ProcessesOnly => "show processes only, or processes and threads",
            Action::ToggleTree => "process tree or flat list",
            Action::Faster => "refresh more often",
            Action::Slower => "refresh less often",
            Action::Help => "this help",
            Action::CloseHelp => "close the help",
            Action::Quit => "quit",
            Action::FilterAccept => "keep the filter and go back to the list",
            Action::FilterCancel => "clear the filter and go back to the list",
            Action::FilterBackspace => "delete the last character",
            Action::FilterClearLine => "delete the whole filter",
        }
    }

    /// The word the footer shows for it.
    pub fn short(self) -> &'static str {
        match self {
            Action::ToggleFold => "fold",
            Action::StartFilter => "filter",
            Action::ClearFilter => "clear filter",
            Action::SortNext => "sort",
            Action::SortByCpu => "by CPU",
            Action::ReverseSort => "reverse",
            Action::Follow => "follow",
            Action::HideKernel => "kernel thr",
            Action::ProcessesOnly => "procs only",
            Action::ToggleTree => "tree",
            Action::Help => "help",
            Action::CloseHelp => "close",
            Action::Quit => "quit",
            Action::FilterAccept => "keep",
            Action::FilterCancel => "clear",
            Action::FilterBackspace => "delete",
            _ => "",
        }
    }
}
