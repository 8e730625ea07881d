//! The modal state as one value: what is over the table (or taking the keys) right now.
//! Each overlay's keys are in its own file: filter.rs, help.rs, affinity.rs, signal.rs,
//! column_editor.rs, jump.rs, confirm.rs, tools.rs.

use std::collections::BTreeSet;

use super::column_editor::ColumnEditor;
use crate::act::signal::{self, SIGNALS, SignalInfo};
use crate::collect::TaskKey;
use crate::keymap::Mode;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Overlay {
    /// The table has the keys.
    #[default]
    None,
    /// Typing the filter (its text is a view setting: it stays when typing ends).
    Filter,
    /// The help screen, scrolled by this many lines.
    Help {
        scroll: u16,
    },
    Affinity(AffinityPicker),
    Signal(SignalPicker),
    Columns(ColumnEditor),
    /// Typing a time to jump to in a replay.
    Jump(String),
    /// A yes/no question before an action that changes the system.
    Confirm(Confirm),
    /// Typing a search (its text is `App::search_text`: it stays for F3 / n).
    Search,
    /// Typing or picking a user to show (`u`).
    User(String),
    /// Choosing a tool to hand the selected task to (`!`).
    Tools(ToolPicker),
}

/// What a question is about; the picker it came from is drawn with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Affinity(AffinityPicker),
    Signal(SignalPicker),
    /// Nice +1 or -1 for several threads at once (a process or pool row).
    Nice {
        words: String,
        tasks: Vec<TaskKey>,
        delta: i32,
    },
}

impl Confirm {
    /// The question, for a confirmation without a picker.
    pub fn question(&self) -> String {
        match self {
            Confirm::Nice { words, delta, .. } => format!(
                "Nice {} ({} CPU) for {words}?",
                if *delta > 0 { "+1" } else { "-1" },
                if *delta > 0 { "less" } else { "more" }
            ),
            Confirm::Signal(p) => p.question(),
            Confirm::Affinity(p) => format!("Set the CPUs of {}?", p.target),
        }
    }
}

impl Overlay {
    /// The key table's mode for this overlay.
    pub fn mode(&self) -> Mode {
        match self {
            Overlay::None => Mode::Normal,
            Overlay::Filter => Mode::Filter,
            Overlay::Help { .. } => Mode::Help,
            Overlay::Affinity(_) => Mode::Affinity,
            Overlay::Signal(_) => Mode::Signal,
            Overlay::Columns(_) => Mode::Columns,
            Overlay::Jump(_) => Mode::Jump,
            Overlay::Confirm(_) => Mode::Confirm,
            Overlay::Search => Mode::Search,
            Overlay::User(_) => Mode::User,
            Overlay::Tools(_) => Mode::Tools,
        }
    }
}

/// The tool picker of a `!` press: the config's tools, each as it would run on the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPicker {
    /// On whom, in words: "thread 1236 (busy-0) of process 1234".
    pub words: String,
    /// What `{tid}` and `{pid}` stand for.
    pub tid: u32,
    pub pid: u32,
    /// The task and its process, re-checked before a tool starts.
    pub check: Vec<TaskKey>,
    pub entries: Vec<ToolEntry>,
    pub cursor: usize,
}

/// One tool of the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolEntry {
    pub name: String,
    /// What is looked for on PATH.
    pub program: String,
    /// The command line as it will run: `strace -p 1236`.
    pub shown: String,
    pub argv: Vec<std::ffi::OsString>,
    /// On PATH: `None` until looked for (right after the picker opens).
    pub installed: Option<bool>,
}

/// The CPU picker of an affinity change, and the question that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityPicker {
    /// What the user picked, in words: "thread 1236 (busy-0)".
    pub target: String,
    pub tasks: Vec<TaskKey>,
    /// Online CPUs, in id order.
    pub cpus: Vec<u32>,
    pub chosen: BTreeSet<u32>,
    pub cursor: usize,
    /// What the picker says of the tasks' CPUs now: `None` until read fresh when it opens
    /// (then nothing is ticked), the reason when that failed, or that the threads differ.
    pub now: Option<Result<String, String>>,
}

/// The signal picker of a `S` press, and the question that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalPicker {
    /// Whom, in words: "process 1234 (name)", "thread 1236 (busy-0)".
    pub target: String,
    /// Some threads of the process (a thread or pool row), not the whole process.
    pub threads_only: bool,
    pub to: signal::Target,
    /// Index into [`SIGNALS`]; SIGTERM, the first, is preselected.
    pub cursor: usize,
}

impl SignalPicker {
    pub fn signal(&self) -> &'static SignalInfo {
        &SIGNALS[self.cursor.min(SIGNALS.len() - 1)]
    }

    /// "Send SIGTERM to process 1234 (name)?", "Send SIGKILL to thread 1236 (busy-0) only?"
    pub fn question(&self) -> String {
        format!(
            "Send {} to {}{}?",
            self.signal().full_name(),
            self.target,
            if self.threads_only { " only" } else { "" }
        )
    }
}
