//! The signals the signal picker offers: a table of names and effects (act sends them, the
//! picker lists them).

use rustix::process::Signal;

/// A signal the picker offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalInfo {
    /// Without the `SIG` prefix: `TERM`.
    pub name: &'static str,
    pub signal: Signal,
    /// What it usually does, in a few words.
    pub effect: &'static str,
}

impl SignalInfo {
    /// `SIGTERM`.
    pub fn full_name(&self) -> String {
        format!("SIG{}", self.name)
    }

    /// The signal number on this machine.
    pub fn number(&self) -> i32 {
        self.signal.as_raw()
    }
}

const fn s(name: &'static str, signal: Signal, effect: &'static str) -> SignalInfo {
    SignalInfo {
        name,
        signal,
        effect,
    }
}

/// The signals the picker offers, SIGTERM (the polite one) first.
pub static SIGNALS: &[SignalInfo] = &[
    s(
        "TERM",
        Signal::TERM,
        "ask it to end (it may clean up first)",
    ),
    s("INT", Signal::INT, "interrupt, as Ctrl-C does"),
    s(
        "HUP",
        Signal::HUP,
        "hang up; many daemons reload their settings",
    ),
    s("KILL", Signal::KILL, "end it at once; cannot be caught"),
    s("STOP", Signal::STOP, "stop (pause) it; cannot be caught"),
    s("CONT", Signal::CONT, "let a stopped process run again"),
    s(
        "QUIT",
        Signal::QUIT,
        "quit with a core dump, as Ctrl-\\ does",
    ),
    s(
        "USR1",
        Signal::USR1,
        "user signal 1: meaning depends on the program",
    ),
    s(
        "USR2",
        Signal::USR2,
        "user signal 2: meaning depends on the program",
    ),
];
