//! Holds the input thread off the terminal while a tool runs in it (the hand-off, `!`).
//! The input thread reads stdin (`crate::input`): left running, it would take the keys meant for the
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
/// no input thread runs): `true`. `false` when it did not come within `within` (it comes
/// every 250 ms; a machine loaded enough to delay it longer is told, not hung on): the
/// pause is then lifted again.
pub fn pause(within: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    let mut s = state();
    s.paused = true;
    while s.running && !s.parked {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            s.paused = false;
            CHANGED.notify_all();
            return false;
        }
        s = CHANGED
            .wait_timeout(s, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
    true
}

/// Lets the input thread go on.
pub fn resume() {
    let mut s = state();
    s.paused = false;
    CHANGED.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    /// One test: the gate is process-wide.
    #[test]
    fn pause_waits_for_the_checkpoint_holds_it_there_and_gives_up_when_it_never_comes() {
        // No input thread: nothing to wait for.
        assert!(pause(Duration::from_secs(1)));
        resume();
        // A thread that never comes to the checkpoint: given up on, and not left paused.
        let guard = running();
        assert!(!pause(Duration::from_millis(100)));
        assert!(!state().paused);
        drop(guard);
        // A thread that passes the checkpoint in a loop: held while paused.
        let passes = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let guard = running();
        let t = {
            let (passes, stop) = (Arc::clone(&passes), Arc::clone(&stop));
            std::thread::spawn(move || {
                let _guard = guard;
                while !stop.load(Ordering::SeqCst) {
                    checkpoint();
                    passes.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        assert!(pause(Duration::from_secs(30)));
        let at = passes.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            passes.load(Ordering::SeqCst) <= at + 1,
            "it went on while paused"
        );
        stop.store(true, Ordering::SeqCst);
        resume();
        t.join().expect("the thread ends");
        assert!(!state().running);
    }
}
