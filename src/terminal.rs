//! Terminal set-up and restore on every exit path: normal quit, error, panic, and
//! SIGTERM / SIGHUP / SIGINT / SIGQUIT. Restoring never panics and ignores write errors
//! (after an SSH drop there is nobody to write to). Mouse reporting, when it was turned
//! on, is turned off on each of those paths too.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

use crossterm::{cursor, execute, style, terminal};
use ratatui::Terminal;

use crate::app::run::Event;
use crate::terminal_backend::LeanBackend;

/// Frames are written through a large buffer so each one leaves in a single write: a
/// terminal (or an SSH link) never sees half a frame, and fewer, larger packets go out.
/// The backend sends only what changed, the short way (see `terminal_backend`).
pub type Tui = Terminal<LeanBackend<io::BufWriter<io::Stdout>>>;

const FRAME_BUFFER: usize = 256 * 1024;

/// Set once mouse reporting may have been asked for: [`restore`] then turns it off.
static MOUSE_ON: AtomicBool = AtomicBool::new(false);

/// Asks for clicks and the wheel, SGR-encoded: X10/normal tracking (1000: presses,
/// releases, wheel) and the SGR encoding (1006: any column, unambiguous releases). Not
/// 1003 (every motion), which crossterm's `EnableMouseCapture` also asks for: it would
/// send a report for each cell the pointer crosses, over SSH too, for nothing.
struct EnableMouse;

impl crossterm::Command for EnableMouse {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1000h\x1b[?1006h")
    }
}

/// Raw mode, the alternate screen, no cursor and, with `mouse`, mouse reporting.
/// `color`: whether colour escape sequences may be sent at all (`--color never` and
/// NO_COLOR: none).
pub fn enter(color: bool, mouse: bool) -> io::Result<Tui> {
    terminal::enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    if mouse {
        MOUSE_ON.store(true, Ordering::SeqCst);
        if let Err(e) = execute!(out, EnableMouse) {
            restore();
            return Err(e);
        }
    }
    let (width, height) = terminal::size().unwrap_or((0, 0));
    Terminal::new(LeanBackend::new(
        io::BufWriter::with_capacity(FRAME_BUFFER, io::stdout()),
        width,
        height,
        color,
    ))
    .inspect_err(|_| restore())
}

/// Turns mouse reporting off (every mode: 1000, 1002, 1003, 1006, 1015), resets the
/// style (frames leave theirs set), leaves the alternate screen, shows the cursor and
/// returns to cooked mode.
pub fn restore() {
    let mut out = io::stdout();
    if MOUSE_ON.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, crossterm::event::DisableMouseCapture);
    }
    let _ = execute!(
        out,
        style::SetAttribute(style::Attribute::Reset),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}

/// Whether `e` says the terminal is gone (an SSH drop, a closed terminal window): writes
/// to a hung-up terminal fail with EIO, to a closed pipe with EPIPE; reads return 0 bytes
/// (UnexpectedEof, WriteZero for a write that took nothing); its descriptor may already be
/// invalid (EBADF) or no longer a terminal (ENOTTY, ENXIO).
pub fn is_lost_io(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof | io::ErrorKind::WriteZero
    ) || matches!(
        e.raw_os_error(),
        Some(libc::EIO | libc::EPIPE | libc::ENXIO | libc::ENOTTY | libc::EBADF)
    )
}

/// Whether `err`, or an error it wraps (`drawing: Input/output error`), says the terminal
/// is gone (see [`is_lost_io`]): the exit is then status 129, as for SIGHUP, not a report.
pub fn is_lost(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut at = Some(err);
    while let Some(e) = at {
        if e.downcast_ref::<io::Error>().is_some_and(is_lost_io) {
            return true;
        }
        at = e.source();
    }
    false
}

/// What [`InputWait::wait`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Bytes to read, or a resize (SIGWINCH): crossterm has something to report.
    Ready,
    /// Nothing within the timeout.
    Idle,
    /// The terminal is gone: hung up (a read would return 0 bytes), or an error.
    Lost(String),
}

/// Waits for input on stdin, or a resize, and notices a hung-up terminal. crossterm does
/// not: on a hung-up tty its reader gets 0 bytes from every read and loops on them forever,
/// so the input thread never returned and only the next frame's failed write (a tick
/// later, 1.2-2.2 s measured with the default delay) ended threadtop. `poll(2)` reports the
/// hang-up (POLLHUP) at once, so crossterm is only asked to read when there is input.
pub struct InputWait {
    /// The read end of a pipe written on each SIGWINCH (crossterm keeps its own handler,
    /// which produces the resize event once crossterm is asked).
    winch: std::os::unix::net::UnixStream,
}

impl InputWait {
    pub fn new() -> io::Result<InputWait> {
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, write)?;
        Ok(InputWait { winch: read })
    }

    /// Waits up to `timeout` for input, a resize or the terminal's loss.
    pub fn wait(&mut self, timeout: std::time::Duration) -> Input {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        let mut fds = [
            libc::pollfd {
                fd: libc::STDIN_FILENO,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.winch.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is a valid array of two pollfd for the length given.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Input::Idle
            } else {
                Input::Lost(format!("waiting for input: {e}"))
            };
        }
        let stdin = fds[0].revents;
        if stdin & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            return Input::Lost("the terminal hung up".into());
        }
        if fds[1].revents & libc::POLLIN != 0 {
            let mut drain = [0u8; 64];
            while matches!(self.winch.read(&mut drain), Ok(n) if n > 0) {}
            return Input::Ready;
        }
        if stdin & libc::POLLIN != 0 {
            Input::Ready
        } else {
            Input::Idle
        }
    }
}

/// Writes `line` to stderr, never panicking: stderr is often the terminal that is gone
/// (`eprintln!` panics there, and a panic while the panic report is printed aborts).
pub fn note(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Restores the terminal before the panic report (color-eyre's hook) is printed, so the
/// report is readable and the shell usable, then exits with status 101 (Rust's panic
/// status). Exiting here matters for panics off the main thread (collector, input): the
/// loop would otherwise go on drawing over a restored, cooked terminal with stale data.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Held until exit: a frame being written finishes first, and no thread can draw
        // (hiding the cursor again) over the restored terminal. Reentrant for our writes.
        let _stdout = io::stdout().lock();
        restore();
        previous(info);
        std::process::exit(101);
    }));
}

/// Forwards termination signals to the event loop, which restores the terminal and exits.
/// A second signal (or one arriving when the loop is gone) restores and exits right here.
pub fn forward_signals(tx: Sender<Event>) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])?;
    std::thread::Builder::new()
        .name("tt-signals".into())
        .spawn(move || {
            let mut seen = false;
            for sig in signals.forever() {
                if seen || tx.send(Event::Signal(sig)).is_err() {
                    let _stdout = io::stdout().lock();
                    restore();
                    std::process::exit(128 + sig);
                }
                seen = true;
            }
        })?;
    Ok(())
}
