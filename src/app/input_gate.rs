//! Holds the input thread off the terminal while a tool runs in it (the hand-off, `!`).
//! The input thread reads stdin (`crate::input`): left running, it would take the keys meant for the
//! tool, and a read from the background process group would stop threadtop (SIGTTIN).
//! The input thread passes [`checkpoint`] before each wait for input; [`pause`] wakes its
//! wait (see [`wake_fd`]) and returns once it is parked there.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

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

/// The read end of the input thread's wake-up channel: readable after a SIGWINCH or a
/// [`pause`]. The input thread polls it beside stdin, so it can wait for a second instead
/// of a quarter: its four wake-ups a second (poll, the tty checks) were a tenth of an idle
/// threadtop's CPU (perf, 2026-12-07), and a resize is now seen at once, not within 250 ms.
/// `None` when no socket pair could be made: the input thread then waits a quarter second.
pub fn wake_fd() -> Option<BorrowedFd<'static>> {
    wake().map(|(r, _)| r.as_fd())
}

/// Empties the wake-up channel (non-blocking): what woke the input thread is handled by
/// the pass it starts.
pub fn drain_wake() {
    if let Some((r, _)) = wake() {
        let mut buf = [0u8; 64];
        // `Read` is implemented for `&UnixStream`.
        let mut r = r;
        while matches!(std::io::Read::read(&mut r, &mut buf), Ok(n) if n > 0) {}
    }
}

/// Wakes the input thread's wait.
fn wake_input() {
    if let Some((_, w)) = wake() {
        let mut w = w;
        let _ = w.write(&[0]);
    }
}

fn wake() -> Option<&'static (UnixStream, UnixStream)> {
    static WAKE: OnceLock<Option<(UnixStream, UnixStream)>> = OnceLock::new();
    WAKE.get_or_init(|| {
        let (r, w) = UnixStream::pair().ok()?;
        r.set_nonblocking(true).ok()?;
        w.set_nonblocking(true).ok()?;
        // The handler writes a byte, non-blocking (async-signal-safe); a full buffer
        // drops it, which is fine: one unread byte already wakes the thread.
        if let Ok(w2) = w.try_clone() {
            let _ = signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, w2);
        }
        Some((r, w))
    })
    .as_ref()
}

/// Stops the input thread at its checkpoint and returns once it is there (at once when
/// no input thread runs): `true`. `false` when it did not come within `within` (its wait
/// is woken; a machine loaded enough to delay it longer is told, not hung on): the pause
/// is then lifted again.
pub fn pause(within: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    let mut s = state();
    s.paused = true;
    if s.running {
        wake_input();
    }
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

    /// Whether the wake-up channel becomes readable within `secs`.
    fn woken_within(secs: i32) -> bool {
        use std::os::fd::AsRawFd;
        let Some(fd) = wake_fd() else { return false };
        let mut p = [libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid, initialised pollfd, borrowed for the length of the call.
        let n = unsafe { libc::poll(p.as_mut_ptr(), 1, secs * 1000) };
        n == 1 && p[0].revents & libc::POLLIN != 0
    }

    /// One test: the gate is process-wide.
    #[test]
    fn pause_waits_for_the_checkpoint_holds_it_there_and_gives_up_when_it_never_comes() {
        // A resize wakes the input thread's wait: SIGWINCH writes to the channel.
        drain_wake();
        assert!(!woken_within(0), "the channel starts empty");
        rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::WINCH)
            .expect("SIGWINCH to ourselves");
        assert!(woken_within(60), "SIGWINCH did not wake the channel");
        drain_wake();
        assert!(!woken_within(0), "drained");
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
        drain_wake();
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
        // A thread waiting as the input thread does, for far longer than the pause may
        // take: the pause wakes it, so it comes to the checkpoint at once.
        // (Not stdin: under `cargo test` it is /dev/null, always readable.)
        let (quiet, _writer) = UnixStream::pair().expect("a socket pair");
        let stop = Arc::new(AtomicBool::new(false));
        let waits = Arc::new(AtomicUsize::new(0));
        let guard = running();
        let t = {
            let (stop, waits) = (Arc::clone(&stop), Arc::clone(&waits));
            std::thread::spawn(move || {
                let _guard = guard;
                while !stop.load(Ordering::SeqCst) {
                    checkpoint();
                    waits.fetch_add(1, Ordering::SeqCst);
                    let wake = wake_fd().expect("a wake-up channel");
                    let _ =
                        crate::input::wait(quiet.as_fd(), Some(wake), Duration::from_secs(3600));
                    drain_wake();
                }
            })
        };
        // In its wait (it passed the checkpoint), then paused.
        while waits.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            pause(Duration::from_secs(60)),
            "the waiting thread was not woken by the pause"
        );
        stop.store(true, Ordering::SeqCst);
        resume();
        wake_input();
        t.join().expect("the thread ends");
    }
}
