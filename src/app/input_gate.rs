//! Holds the input thread off the terminal while a tool runs in it (the hand-off, `!`).
//! crossterm reads /dev/tty itself: left running, it would take the keys meant for the
//! tool, and a read from the background process group would stop threadtop (SIGTTIN).
//! The input thread passes [`checkpoint`] before each wait for input (at most
//! `INPUT_POLL`, 250 ms, apart); [`pause`] returns once it is parked there.

use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    /// An input thread is running (and will come to the checkpoint).
    running: bool,
    /// The main thread wants the terminal.
    paused: bool,
    /// The input thread is waiting at the checkpoint.
    parked: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    running: false,
    paused: false,
    parked: false,
});
static CHANGED: Condvar = Condvar::new();

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Held by the input thread while it runs: dropping it (the thread ends) releases a
/// [`pause`] that waits for it.
pub struct Running(());

impl Drop for Running {
    fn drop(&mut self) {
        let mut s = state();
        s.running = false;
        s.parked = false;
        CHANGED.notify_all();
    }
}

/// The input thread starts.
pub fn running() -> Running {
    state().running = true;
    Running(())
}

/// The input thread waits here while paused.
pub fn checkpoint() {
    let mut s = state();
    while s.paused {
        s.parked = true;
        CHANGED.notify_all();
        s = CHANGED.wait(s).unwrap_or_else(|e| e.into_inner());
    }
    s.parked = false;
}

/// Stops the input thread at its checkpoint and returns once it is there (at once when
/// no input thread runs).
pub fn pause() {
    let mut s = state();
    s.paused = true;
    while s.running && !s.parked {
        s = CHANGED.wait(s).unwrap_or_else(|e| e.into_inner());
    }
}

/// Lets the input thread go on.
pub fn resume() {
    let mut s = state();
    s.paused = false;
    CHANGED.notify_all();
}
