//! Keys and clicks from the terminal on stdin: read by us, decoded by [`decode`].
//!
//! The input thread (`app::run`) waits on stdin with poll(2) itself (it also watches for
//! a hang-up and the hand-off), then calls [`TtyReader::read`]. Every event a read
//! completes is returned from that call: none stays buffered where a later wait would not
//! see it, which is what lost keys with crossterm's reader under load (see [`decode`]).

pub mod decode;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

pub use crossterm::event::Event;
use rustix::io::Errno;

pub use decode::Decoder;

/// How long the rest of an escape sequence is waited for once its start has been read; a
/// lone ESC is the Esc key only after this. Terminals send a sequence in one write, but
/// over SSH a packet boundary can split one, and taken early its tail would be keys
/// (`ESC [ 5 ~` split after ESC: Esc, then `[`, `5`, `~`, and `[` changes the interval).
/// 50 ms: htop waits 25 (its ESCDELAY), vim 100 (ttimeoutlen).
const SEQUENCE_WAIT: Duration = Duration::from_millis(50);

/// Reads stdin (or, in tests, another descriptor) and decodes it.
pub struct TtyReader {
    decoder: Decoder,
    buf: Vec<u8>,
    /// `None`: stdin.
    from: Option<OwnedFd>,
    /// [`SEQUENCE_WAIT`], longer in tests that must not depend on another thread's timing.
    wait: Duration,
}

impl Default for TtyReader {
    fn default() -> Self {
        Self::new()
    }
}

impl TtyReader {
    pub fn new() -> Self {
        Self {
            decoder: Decoder::new(),
            buf: vec![0; 4096],
            from: None,
            wait: SEQUENCE_WAIT,
        }
    }

    /// Reads `fd` instead of stdin.
    pub fn on(fd: OwnedFd) -> Self {
        Self {
            from: Some(fd),
            ..Self::new()
        }
    }

    /// Call when stdin has input (poll(2) said so): reads it and returns every event it
    /// completes. Bytes that may start a sequence are waited on for `SEQUENCE_WAIT`.
    /// `Err`: the terminal is gone (end of input or a read error), said in words.
    pub fn read(&mut self) -> Result<Vec<Event>, String> {
        let mut out = match self.read_once()? {
            Some(n) => self.decoder.feed(&self.buf[..n]),
            None => Vec::new(),
        };
        while self.decoder.pending() {
            if wait(fd_of(&self.from), None, self.wait) != Wait::Idle {
                if let Some(n) = self.read_once()? {
                    let more = self.decoder.feed(&self.buf[..n]);
                    out.extend(more);
                }
            } else {
                out.extend(self.decoder.flush());
            }
        }
        Ok(out)
    }

    /// One read(2) of stdin: `None` when interrupted or nothing was there after all.
    fn read_once(&mut self) -> Result<Option<usize>, String> {
        match rustix::io::read(fd_of(&self.from), &mut self.buf[..]) {
            Ok(0) => Err("the terminal closed (end of input)".into()),
            Ok(n) => Ok(Some(n)),
            Err(Errno::INTR | Errno::AGAIN) => Ok(None),
            Err(e) => Err(format!("reading the terminal: {e}")),
        }
    }
}

/// The descriptor read: the one given, else stdin.
fn fd_of(from: &Option<OwnedFd>) -> BorrowedFd<'_> {
    match from {
        Some(fd) => fd.as_fd(),
        None => rustix::stdio::stdin(),
    }
}

/// What a descriptor says within a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Input,
    /// Nothing yet, or a signal interrupted the wait: look again.
    Idle,
    /// Hung up or in error with nothing to read (a read would say how).
    HungUp,
}

/// Waits for stdin with poll(2), level-triggered: what is left unread is seen again.
pub fn wait_stdin(timeout: Duration) -> Wait {
    wait(rustix::stdio::stdin(), None, timeout)
}

/// As [`wait_stdin`], and also woken (`Idle`) when `wake` is readable.
pub fn wait_stdin_or(wake: BorrowedFd<'_>, timeout: Duration) -> Wait {
    wait(rustix::stdio::stdin(), Some(wake), timeout)
}

pub(crate) fn wait(fd: BorrowedFd<'_>, wake: Option<BorrowedFd<'_>>, timeout: Duration) -> Wait {
    use std::os::fd::AsRawFd;
    let mut fds = [
        libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            // A negative descriptor is skipped by poll(2).
            fd: wake.map_or(-1, |w| w.as_raw_fd()),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: two valid, initialised pollfds, borrowed for the length of the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    let revents = fds[0].revents;
    if n <= 0 {
        Wait::Idle
    } else if revents & libc::POLLIN != 0 {
        Wait::Input
    } else if revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        Wait::HungUp
    } else {
        Wait::Idle
    }
}

#[cfg(test)]
mod tests;
