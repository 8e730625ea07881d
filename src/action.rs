//! Everything a user can ask for, each with the words the help screen shows.

/// The panes that can open below the table, in the order they are stacked. What each
/// draws, needs and is called is in its row of `ui::panes::PANES`; here is only its name
/// for the key table (which sits below the ui).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Cpus,
    Placement,
    Shares,
    Why,
    Explain,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Cpus,
        Pane::Placement,
        Pane::Shares,
        Pane::Why,
        Pane::Explain,
    ];

    /// Its place in [`Pane::ALL`] (and in per-pane arrays).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name the footer and the focus message use.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Cpus => "CPUs",
            Pane::Placement => "placement",
            Pane::Shares => "shares",
            Pane::Why => "why",
            Pane::Explain => "explain",
        }
    }

    /// The footer's word for its key.
    pub fn short(self) -> &'static str {
        match self {
            Pane::Cpus => "CPUs",
            p => p.name(),
        }
    }

    /// The help screen's line for its key.
    pub fn about(self) -> &'static str {
        match self {
            Pane::Cpus => "show or hide the CPU pane: who is runnable where",
            Pane::Placement => {
                "show or hide the placement pane: the selected process's threads, CPU by CPU"
            }
            Pane::Shares => {
                "show or hide the share pane: what the tasks share (address space, files, …)"
            }
            Pane::Why => "show or hide the why pane: where the process's threads' time went",
            Pane::Explain => "show or hide the explain card: the selected task in plain words",
        }
    }
}

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
    GroupByCgroup,
    Faster,
    Slower,
    CycleColumns,
    EditColumns,
    ColumnsUp,
    ColumnsDown,
    ColumnsToggle,
    ColumnsMoveLeft,
    ColumnsMoveRight,
    ColumnsNextSet,
    ColumnsReset,
    ColumnsSave,
    ColumnsClose,
    /// Open or close a pane below the table.
    TogglePane(Pane),
    FocusNext,
    FocusPrev,
    SetAffinity,
    SendSignal,
    NicePlus,
    NiceMinus,
    SignalUp,
    SignalDown,
    SignalAccept,
    SignalCancel,
    PickerUp,
    PickerDown,
    PickerToggle,
    PickerAll,
    PickerNone,
    PickerAccept,
    PickerCancel,
    ConfirmYes,
    ConfirmNo,
    Help,
    CloseHelp,
    HelpScrollUp,
    HelpScrollDown,
    HelpTop,
    HelpBottom,
    Quit,
    /// Ctrl-Z: give the terminal back and stop, as any program does; `fg` resumes.
    Suspend,
    // Filter line editing.
    FilterAccept,
    FilterCancel,
    FilterBackspace,
    FilterClearLine,
    // Replay.
    ReplayPlayPause,
    ReplayBack,
    ReplayForward,
    ReplayBack10,
    ReplayForward10,
    ReplaySpeed,
    ReplayJump,
    JumpAccept,
    JumpCancel,
    JumpBackspace,
    // htop's habits (app/search.rs, app/user.rs).
    /// A key htop users reach for that has another key here: the status line says which.
    Says(&'static str),
    SortByTime,
    SortByMemory,
    StartSearch,
    SearchNext,
    SearchAccept,
    SearchCancel,
    SearchBackspace,
    SearchClearLine,
    PickUser,
    UserNext,
    UserPrev,
    UserAccept,
    UserCancel,
    UserBackspace,
    Tag,
    UntagAll,
    // The hand-off (app/tools.rs).
    HandOff,
    ToolUp,
    ToolDown,
    ToolStart,
    ToolCancel,
}

impl Action {
    pub fn description(self) -> &'static str {
        match self {
            Action::Up => "select the row above (or scroll the focused pane)",
            Action::Down => "select the row below (or scroll the focused pane)",
            Action::PageUp => "one page up (of the table or the focused pane)",
            Action::PageDown => "one page down (of the table or the focused pane)",
            Action::Home => "first row (or the top of the focused pane)",
            Action::End => "last row (or the end of the focused pane)",
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
            Action::GroupByCgroup => "group tasks by cgroup (unit, container) or by process",
            Action::CycleColumns => "switch columns: basic / scheduling (policy, waits, affinity)",
            Action::EditColumns => "choose, order and hide the table's columns (and save them)",
            Action::ColumnsUp => "previous column",
            Action::ColumnsDown => "next column",
            Action::ColumnsToggle => "show or hide this column",
            Action::ColumnsMoveLeft => "move this column left (up the list)",
            Action::ColumnsMoveRight => "move this column right (down the list)",
            Action::ColumnsNextSet => "edit the other set (basic / scheduling)",
            Action::ColumnsReset => "put this set's columns back to the built-in ones",
            Action::ColumnsSave => "write both sets to the config file",
            Action::ColumnsClose => "close the editor (changes stay for this run)",
            Action::TogglePane(p) => p.about(),
            Action::SetAffinity => "set the CPUs the selected thread or process may run on",
            Action::SendSignal => {
                "send a signal: a thread row to that thread only, a process row to the process"
            }
            Action::NicePlus => {
                "nice +1 (less CPU): the selected thread, or every thread of a process"
            }
            Action::NiceMinus => {
                "nice -1 (more CPU): the selected thread, or every thread (needs privilege)"
            }
            Action::SignalUp => "previous signal",
            Action::SignalDown => "next signal",
            Action::SignalAccept => "send it (asks to confirm)",
            Action::SignalCancel => "cancel, send nothing",
            Action::FocusNext => {
                "focus the next pane: the arrows, page keys and the wheel then scroll it"
            }
            Action::FocusPrev => "focus the previous pane (the table is first)",
            Action::PickerUp => "previous CPU",
            Action::PickerDown => "next CPU",
            Action::PickerToggle => "allow or forbid this CPU",
            Action::PickerAll => "allow every CPU",
            Action::PickerNone => "forbid every CPU",
            Action::PickerAccept => "apply (asks to confirm)",
            Action::PickerCancel => "cancel, change nothing",
            Action::ConfirmYes => "yes, do it",
            Action::ConfirmNo => "no, change nothing",
            Action::Faster => "refresh more often",
            Action::Slower => "refresh less often",
            Action::Help => "this help",
            Action::CloseHelp => "close the help",
            Action::HelpScrollUp => "scroll the help up",
            Action::HelpScrollDown => "scroll the help down",
            Action::HelpTop => "to the top of the help",
            Action::HelpBottom => "to the end of the help",
            Action::Quit => "quit",
            Action::Suspend => "suspend to the shell (fg brings threadtop back)",
            Action::FilterAccept => "keep the filter and go back to the list",
            Action::FilterCancel => "clear the filter and go back to the list",
            Action::FilterBackspace => "delete the last character",
            Action::FilterClearLine => "delete the whole filter",
            Action::ReplayPlayPause => "replay: play or pause",
            Action::ReplayBack => "replay: one tick back",
            Action::ReplayForward => "replay: one tick forward",
            Action::ReplayBack10 => "replay: ten ticks back",
            Action::ReplayForward10 => "replay: ten ticks forward",
            Action::ReplaySpeed => "replay: play faster (1×, 2×, 4×, 8×, 16×, then 1× again)",
            Action::ReplayJump => "replay: jump to a time (1m30s from the start, or 03:12:05)",
            Action::JumpAccept => "jump there",
            Action::JumpCancel => "cancel the jump",
            Action::JumpBackspace => "delete the last character",
            Action::Says(words) => words,
            Action::SortByTime => "sort by CPU time (TIME+), most first",
            Action::SortByMemory => "sort by memory (MEM%), most first",
            Action::StartSearch => {
                "search: jump to the next row whose name, command or ID matches (hides nothing)"
            }
            Action::SearchNext => "next match (wraps around)",
            Action::SearchAccept => "keep the search (F3 or n jumps to the next match)",
            Action::SearchCancel => "close the search line",
            Action::SearchBackspace => "delete the last character",
            Action::SearchClearLine => "delete the whole search",
            Action::PickUser => "show only one user's processes (Esc clears it)",
            Action::UserNext => "next user that owns a listed process",
            Action::UserPrev => "previous user",
            Action::UserAccept => "show that user's processes (empty: everyone's)",
            Action::UserCancel => "cancel, keep the user filter as it was",
            Action::UserBackspace => "delete the last character",
            Action::Tag => {
                "tag or untag the selected process or thread; k, +, - and a then act on the tagged"
            }
            Action::UntagAll => "untag every row",
            Action::HandOff => {
                "run a tool (strace, lsof, gdb: the config's [tools]) on the selected task here"
            }
            Action::ToolUp => "previous tool",
            Action::ToolDown => "next tool",
            Action::ToolStart => "start it in this terminal; threadtop is back when it ends",
            Action::ToolCancel => "cancel, start nothing",
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
            Action::GroupByCgroup => "by cgroup",
            Action::CycleColumns => "columns",
            Action::EditColumns => "edit columns",
            Action::ColumnsToggle => "show/hide",
            Action::ColumnsMoveLeft => "move left",
            Action::ColumnsMoveRight => "move right",
            Action::ColumnsNextSet => "other set",
            Action::ColumnsReset => "defaults",
            Action::ColumnsSave => "save",
            Action::ColumnsClose => "close",
            Action::TogglePane(p) => p.short(),
            Action::SetAffinity => "affinity",
            Action::SendSignal => "signal",
            Action::NicePlus => "nice+",
            Action::NiceMinus => "nice-",
            Action::SignalAccept => "send",
            Action::SignalCancel => "cancel",
            Action::FocusNext => "focus",
            Action::PickerToggle => "toggle",
            Action::PickerAll => "all",
            Action::PickerNone => "none",
            Action::PickerAccept => "apply",
            Action::PickerCancel => "cancel",
            Action::ConfirmYes => "yes",
            Action::ConfirmNo => "no",
            Action::Help => "help",
            Action::CloseHelp => "close",
            Action::HelpScrollDown => "scroll",
            Action::Quit => "quit",
            Action::FilterAccept => "keep",
            Action::FilterCancel => "clear",
            Action::FilterBackspace => "delete",
            Action::ReplayPlayPause => "play/pause",
            Action::ReplayBack => "back",
            Action::ReplayForward => "fwd",
            Action::ReplaySpeed => "speed",
            Action::ReplayJump => "jump",
            Action::JumpAccept => "jump",
            Action::JumpCancel => "cancel",
            Action::SearchAccept => "keep",
            Action::SearchNext => "next",
            Action::SearchCancel => "close",
            Action::UserAccept => "show",
            Action::UserNext => "next user",
            Action::UserCancel => "cancel",
            Action::HandOff => "tools",
            Action::ToolStart => "start",
            Action::ToolCancel => "cancel",
            _ => "",
        }
    }
}
