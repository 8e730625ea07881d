//! What `update` asks the loop to do: it changes only the app's state and returns these.
//! Anything that touches the system (signals, nice, affinity, the config file, reading a
//! task's current affinity) is an [`ActRequest`], run by [`super::runner`] off the update
//! path, and refused there during a replay.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::act::signal::{SignalInfo, Target};
use crate::collect::TaskKey;
use crate::model::columns::ColumnLayout;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    /// The collector must change its tick.
    pub interval: Option<Duration>,
    /// Something changed the system (or will, once `act` runs): show the result without
    /// waiting a tick.
    pub scan_now: bool,
    pub replay: Option<ReplayCmd>,
    /// Something to do outside the app's state.
    pub act: Option<ActRequest>,
    /// Ctrl-Z: hand the terminal back and stop until continued.
    pub suspend: bool,
    /// `!`: run a tool on the selected task in this terminal (see [`super::runner::hand_off`]).
    pub hand_off: Option<HandOff>,
}

/// A tool to run in the terminal, the UI stepped aside, on the task it was chosen for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOff {
    /// The tool's name in the config (`strace`).
    pub tool: String,
    /// The program and its arguments, placeholders replaced.
    pub argv: Vec<OsString>,
    /// The command line as shown (`strace -p 1236`).
    pub shown: String,
    /// On whom, in words: "thread 1236 (busy-0) of process 1234".
    pub words: String,
    /// The task and its process: each re-checked by start time right before starting, so
    /// a TID given meanwhile to another task is never handed to the tool.
    pub check: Vec<TaskKey>,
}

/// What the replay loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayCmd {
    PlayPause,
    Step(i64),
    Faster,
    Jump(String),
}

/// A request to act outside the app: the runner does it and hands back what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActRequest {
    Signal {
        /// Whom, in words, for the message.
        target: String,
        to: Target,
        signal: &'static SignalInfo,
    },
    Affinity {
        target: String,
        tasks: Vec<TaskKey>,
        cpus: Vec<u32>,
    },
    Nice {
        /// Whom, in words, for the message.
        words: String,
        tasks: Vec<TaskKey>,
        delta: i32,
    },
    /// Read the CPUs these tasks may run on now, for the CPU picker that just opened.
    ReadAffinity { tasks: Vec<TaskKey> },
    /// Look for the tool picker's programs on PATH (in order), for "not installed".
    FindTools { programs: Vec<String> },
    /// Write both column sets to the config file (`None`: there is nowhere to write).
    SaveColumns {
        path: Option<PathBuf>,
        layout: ColumnLayout,
    },
}

impl ActRequest {
    /// Changes the system (refused in a replay); saving columns does not.
    pub fn changes_system(&self) -> bool {
        !matches!(
            self,
            ActRequest::SaveColumns { .. }
                | ActRequest::ReadAffinity { .. }
                | ActRequest::FindTools { .. }
        )
    }
}
