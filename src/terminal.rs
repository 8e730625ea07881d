//! Terminal set-up and restore on every exit path: normal quit, error, panic, and
//! SIGTERM / SIGHUP / SIGINT / SIGQUIT. Restoring never panics and ignores write errors
//! (after an SSH drop there is nobody to write to). Mouse reporting, when it was turned
//! on, is turned off on each of those paths too.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::{cursor, execute, style, terminal};
use ratatui::Terminal;

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

/// The terminal's size in cells, asked of stdout, then stdin, with one ioctl each.
/// crossterm's `terminal::size` opens `/dev/tty` for every call (open, ioctl, close):
/// asked at each frame and by the input thread four times a second, that was about a
/// tenth of an idle threadtop's CPU (perf, 118 tasks on the machine, 2026-12-07), the
/// tty's open and release most of it. crossterm's answer is the fallback when neither
/// descriptor is a terminal with a size.
pub fn size() -> io::Result<(u16, u16)> {
    for fd in [rustix::stdio::stdout(), rustix::stdio::stdin()] {
        if let Ok(ws) = rustix::termios::tcgetwinsize(fd)
            && ws.ws_col > 0
            && ws.ws_row > 0
        {
            return Ok((ws.ws_col, ws.ws_row));
        }
    }
    terminal::size()
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
    let (width, height) = size().unwrap_or((0, 0));
    Terminal::new(LeanBackend::new(
        io::BufWriter::with_capacity(FRAME_BUFFER, io::stdout()),
        width,
        height,
        color,
    ))
    .inspect_err(|_| restore())
}

/// Ctrl-Z: gives the terminal back (as [`restore`]), stops this process with SIGTSTP as
/// the shell expects, and once continued (`fg`) sets the terminal up again as [`enter`]
/// did. The caller redraws the whole screen. In an orphaned process group (no shell to
/// continue it) the kernel discards SIGTSTP and this returns at once, set up again.
pub fn suspend() -> io::Result<()> {
    let held = release();
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP);
    // Continued.
    take_back(held)
}

/// The terminal as threadtop had it, for [`take_back`]: whether mouse reporting was on.
#[derive(Debug, Clone, Copy)]
pub struct Released {
    mouse: bool,
}

/// Gives the terminal back for a while (Ctrl-Z, a tool handed the selected task): as
/// [`restore`], remembering what [`take_back`] must turn on again.
pub fn release() -> Released {
    let mouse = MOUSE_ON.load(Ordering::SeqCst);
    restore();
    Released { mouse }
}

/// Sets the terminal up again after [`release`], as [`enter`] did. The caller redraws
/// the whole screen (something else drew on it meanwhile).
pub fn take_back(held: Released) -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
    if held.mouse {
        MOUSE_ON.store(true, Ordering::SeqCst);
        execute!(io::stdout(), EnableMouse)?;
    }
    Ok(())
}

/// Prints `prompt` on the normal screen and waits for one key (raw mode, so any key, Ctrl-C
/// too, is just a key). A key that starts with ESC (an arrow, F1) is read whole, so the
/// rest of its sequence is not read as keys later; what was typed after the key is left
/// for threadtop. Returns at once when the terminal is gone.
pub fn wait_for_key(prompt: &str) {
    use std::io::IsTerminal;
    // Gone (a hang-up put an empty pipe in its place): nobody to wait for.
    if !io::stdin().is_terminal() {
        return;
    }
    let mut out = io::stdout();
    let _ = write!(out, "{prompt}");
    let _ = out.flush();
    let raw = terminal::enable_raw_mode().is_ok();
    let mut byte = [0u8; 1];
    loop {
        // SAFETY: reads at most one byte into a local buffer.
        let n = unsafe { libc::read(libc::STDIN_FILENO, byte.as_mut_ptr().cast(), 1) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break;
    }
    if byte[0] == 0x1b {
        // The rest of the sequence comes in the same write: whatever arrives within 50 ms
        // (a lone Esc: nothing). Never blocks: poll first.
        let mut rest = [0u8; 32];
        let mut fds = [libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd; the read goes into a local buffer of its length.
        unsafe {
            if libc::poll(fds.as_mut_ptr(), 1, 50) > 0 && fds[0].revents & libc::POLLIN != 0 {
                libc::read(libc::STDIN_FILENO, rest.as_mut_ptr().cast(), rest.len());
            }
        }
    }
    if raw {
        let _ = terminal::disable_raw_mode();
    }
    let _ = writeln!(out);
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

/// Calls `lost` from a thread of its own once stdin's terminal hangs up (POLLHUP or
/// POLLERR). crossterm does not notice: on a hung-up tty its reader gets 0 bytes from
/// every read and loops on them, so the input thread never returned and only the next
/// frame's failed write (1.2-2.2 s later at the default delay, a whole `--delay` at most)
/// ended threadtop. The thread sleeps in poll(2) asking for no event at all, which the
/// kernel wakes only for a hang-up or an error: no wake-ups while the terminal is fine.
pub fn on_hangup(lost: impl FnOnce(String) + Send + 'static) {
    let _ = std::thread::Builder::new()
        .name("tt-hangup".into())
        .spawn(move || {
            loop {
                let mut fds = [libc::pollfd {
                    fd: libc::STDIN_FILENO,
                    events: 0,
                    revents: 0,
                }];
                // SAFETY: `fds` is a valid array of one pollfd for the length given.
                let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, -1) };
                if n < 0 {
                    if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return;
                }
                if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                    stop_reading_stdin();
                    lost("the terminal hung up".into());
                    return;
                }
            }
        });
}

/// Puts an empty, never-written pipe in stdin's place. crossterm's reader spins on a
/// hung-up terminal (every read returns 0 bytes and it reads again at once): it took a
/// whole CPU while threadtop was ending, which on a loaded machine delayed the end by up to
/// 14 s. On the pipe its read says EAGAIN, so it goes back to waiting, and its input thread
/// ends (stdin is no longer a terminal).
fn stop_reading_stdin() {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return;
    }
    // SAFETY: both are open descriptors of ours; dup2 replaces fd 0 atomically. The pipe's
    // write end stays open (never closed) so reads say EAGAIN, not end of file.
    unsafe {
        libc::dup2(fds[0], libc::STDIN_FILENO);
        libc::close(fds[0]);
    }
}

/// Writes `line` and a newline to stdout (the terminal, in its normal mode), never
/// panicking.
pub fn note_out(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
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
/// A second signal (or one arriving when the loop is gone: `deliver` says false) restores
/// and exits right here. `deliver` hands the signal to the loop (the loop's own event type
/// is the app's business, not this module's).
pub fn forward_signals(deliver: impl Fn(i32) -> bool + Send + 'static) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])?;
    std::thread::Builder::new()
        .name("tt-signals".into())
        .spawn(move || {
            let mut seen = false;
            for sig in signals.forever() {
                if seen || !deliver(sig) {
                    let _stdout = io::stdout().lock();
                    restore();
                    std::process::exit(128 + sig);
                }
                seen = true;
            }
        })?;
    Ok(())
}
