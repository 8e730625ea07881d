//! Runs a program on a pseudo-terminal and watches its screen through a `vt100` emulator.
//!
//! The child gets the slave as stdin, stdout and stderr and as its controlling terminal, in
//! a session of its own, with the window size set before it starts. A reader thread feeds
//! everything it writes into a `vt100::Parser` and keeps the raw bytes too. The parent keeps
//! a slave fd open, so termios can still be checked after the child exits and reads never
//! end early with EIO. The emulator answers cursor position (`CSI 6 n`), status (`CSI 5 n`)
//! and primary device attribute (`CSI c`) queries, as a real terminal would.
//!
//! Dropping a `Pty` kills the child's process group (if the child was not reaped yet) and
//! the child, and stops the reader thread: tests never leave processes behind.

use std::ffi::OsStr;
use std::io;
use std::num::NonZeroU16;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::process::{Pid, Signal};
use rustix::termios::{LocalModes, Termios, Winsize};

/// How long a test waits for the state it asserts. Only a failing test waits this long, so
/// it is generous: with 25,000 tasks and a load average of 300-550 on 2 cores (another
/// 10,000-thread workload waking every 100 ms), the debug build showed its first rows after
/// 10-12 s and took 14-19 s to show the effect of `P` or `?` (its threads got about 5 % of a
/// CPU each); the 20 s the end-to-end tests waited was not enough.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);

const POLL: Duration = Duration::from_millis(50);
/// How long the reader sleeps when the master has nothing to read.
const READER_IDLE: Duration = Duration::from_millis(5);

/// The emulated terminal: the parser, plus every byte the child wrote.
struct Term {
    parser: vt100::Parser<Responder>,
    raw: Vec<u8>,
}

/// Collects the answers to the child's terminal queries; the reader sends them.
#[derive(Default)]
struct Responder {
    replies: Vec<u8>,
}

impl vt100::Callbacks for Responder {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (None, 'n', 5) => self.replies.extend_from_slice(b"\x1b[0n"),
            // VT220 with ANSI colour, like many xterm-compatible terminals.
            (None, 'c', 0) => self.replies.extend_from_slice(b"\x1b[?62;22c"),
            _ => {}
        }
    }
}

/// State shared with the reader thread.
struct Shared {
    master: OwnedFd,
    term: Mutex<Term>,
    /// Counts the reader's reads that found the master empty (see [`Pty::settle`]).
    idle_reads: AtomicU64,
    stop: AtomicBool,
}

/// A child process running on a pseudo-terminal of its own.
pub struct Pty {
    shared: Arc<Shared>,
    /// Kept open so that termios outlives the child and the master never reads EIO.
    slave: OwnedFd,
    child: Mutex<ChildState>,
    pid: u32,
    reader: Option<JoinHandle<()>>,
}

struct ChildState {
    child: Child,
    status: Option<ExitStatus>,
}

impl ChildState {
    fn poll(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

fn winsize(cols: u16, rows: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// The bytes an xterm sends for a named key; anything else is sent as text.
///
/// Names: Up Down Left Right Home End PageUp PageDown Insert Delete Enter Esc Tab
/// BackTab (or Shift-Tab) Backspace Space F1..F12, and Ctrl-X for a letter or `@[\]^_`.
/// `application_cursor` selects `ESC O A` over `ESC [ A` for arrows, Home and End (DECCKM).
/// A lone Esc is only read as the Esc key if the next bytes do not arrive in the same read:
/// wait for its effect on the screen before sending more.
pub fn key_bytes(key: &str, application_cursor: bool) -> Vec<u8> {
    let csi_or_ss3 = |c: char| {
        if application_cursor {
            format!("\x1bO{c}")
        } else {
            format!("\x1b[{c}")
        }
    };
    let s = match key {
        "Up" => csi_or_ss3('A'),
        "Down" => csi_or_ss3('B'),
        "Right" => csi_or_ss3('C'),
        "Left" => csi_or_ss3('D'),
        "Home" => csi_or_ss3('H'),
        "End" => csi_or_ss3('F'),
        "Insert" => "\x1b[2~".into(),
        "Delete" => "\x1b[3~".into(),
        "PageUp" => "\x1b[5~".into(),
        "PageDown" => "\x1b[6~".into(),
        "Enter" => "\r".into(),
        "Esc" => "\x1b".into(),
        "Tab" => "\t".into(),
        "BackTab" | "Shift-Tab" => "\x1b[Z".into(),
        "Backspace" => "\x7f".into(),
        "Space" => " ".into(),
        "F1" => "\x1bOP".into(),
        "F2" => "\x1bOQ".into(),
        "F3" => "\x1bOR".into(),
        "F4" => "\x1bOS".into(),
        "F5" => "\x1b[15~".into(),
        "F6" => "\x1b[17~".into(),
        "F7" => "\x1b[18~".into(),
        "F8" => "\x1b[19~".into(),
        "F9" => "\x1b[20~".into(),
        "F10" => "\x1b[21~".into(),
        "F11" => "\x1b[23~".into(),
        "F12" => "\x1b[24~".into(),
        _ => {
            if let Some(c) = key.strip_prefix("Ctrl-")
                && let [b] = c.as_bytes()
                && (b.is_ascii_alphabetic() || b"@[\\]^_".contains(b))
            {
                return vec![b.to_ascii_uppercase() & 0x1f];
            }
            key.into()
        }
    };
    s.into_bytes()
}

impl Pty {
    /// Starts `program` with `args` on a new `cols` x `rows` pseudo-terminal.
    ///
    /// The child inherits the test's environment with TERM=xterm-256color and without
    /// NO_COLOR, COLORTERM, COLUMNS and LINES, then `env` on top (which may set any of them).
    pub fn spawn<A: AsRef<OsStr>>(
        program: impl AsRef<Path>,
        args: &[A],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> io::Result<Pty> {
        use rustix::pty::OpenptFlags;
        let master =
            rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        rustix::pty::grantpt(&master)?;
        rustix::pty::unlockpt(&master)?;
        let slave_path = rustix::pty::ptsname(&master, Vec::new())?;
        let slave = rustix::fs::open(
            slave_path.as_c_str(),
            rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?;
        rustix::termios::tcsetwinsize(&master, winsize(cols, rows))?;

        let mut cmd = Command::new(program.as_ref());
        cmd.args(args)
            .stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave.try_clone()?))
            .env("TERM", "xterm-256color");
        for var in [
            "NO_COLOR",
            "COLORTERM",
            "COLUMNS",
            "LINES",
            "THREADTOP_CONFIG",
        ] {
            cmd.env_remove(var);
        }
        // The tester's own config file must not change what the tests see.
        cmd.env("XDG_CONFIG_HOME", super::NO_CONFIG_DIR);
        for (k, v) in env {
            cmd.env(k, v);
        }
        // SAFETY: the closure only makes system calls (signal, setsid, ioctl), all
        // async-signal-safe, and touches no memory shared with the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                // A terminal's programs start with the keyboard's signals at their
                // defaults. A test run started in the background by a non-interactive
                // shell has SIGINT and SIGQUIT ignored, which exec keeps: Ctrl-C then
                // killed nothing (harness_selftest waited 90 s for `cat`).
                for sig in [libc::SIGINT, libc::SIGQUIT] {
                    libc::signal(sig, libc::SIG_DFL);
                }
                rustix::process::setsid()?;
                // fd 0 is the slave by now; make it our controlling terminal.
                rustix::process::ioctl_tiocsctty(BorrowedFd::borrow_raw(0))?;
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        let pid = child.id();

        // Non-blocking, so the reader can tell "nothing to read" and notice `stop`.
        rustix::io::ioctl_fionbio(&master, true)?;
        let shared = Arc::new(Shared {
            master,
            term: Mutex::new(Term {
                parser: vt100::Parser::new_with_callbacks(
                    nonzero(rows),
                    nonzero(cols),
                    0,
                    Responder::default(),
                ),
                raw: Vec::new(),
            }),
            idle_reads: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let reader = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("pty-reader-{pid}"))
                .spawn(move || read_loop(&shared))?
        };
        Ok(Pty {
            shared,
            slave,
            child: Mutex::new(ChildState {
                child,
                status: None,
            }),
            pid,
            reader: Some(reader),
        })
    }

    /// The child's process ID (also its session and process group ID).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Writes `bytes` to the terminal, as if typed. Panics if that is impossible.
    pub fn send(&self, bytes: &[u8]) {
        write_all(&self.shared.master, bytes)
            .unwrap_or_else(|e| panic!("writing {bytes:?} to the pty: {e}"));
    }

    /// Sends a named key (see [`key_bytes`]) or, for any other string, the text itself.
    pub fn send_key(&self, key: &str) {
        let app = lock(&self.shared.term).parser.screen().application_cursor();
        self.send(&key_bytes(key, app));
    }

    /// The screen's text: every row, trailing spaces trimmed, joined by `\n`.
    pub fn screen_text(&self) -> String {
        self.with_screen(screen_text)
    }

    /// Runs `f` on the emulated screen (for cells, colours, cursor position...).
    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> R {
        f(lock(&self.shared.term).parser.screen())
    }

    /// Polls the screen every 50 ms until `pred` holds and returns that screen. On timeout
    /// the error names `what` and shows the whole screen (and the child's exit, if any).
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let text = self.screen_text();
            if pred(&text) {
                return Ok(text);
            }
            if start.elapsed() >= timeout {
                let exit = match self.exit_status() {
                    Some(status) => format!("the child has exited: {status}"),
                    None => "the child is still running".to_owned(),
                };
                let (rows, cols) = self.size();
                return Err(format!(
                    "timed out after {timeout:?} waiting for {what}; {exit}\n\
                     --- screen ({cols}x{rows}) ---\n{text}\n--- end of screen ---"
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the screen contains `needle`.
    pub fn wait_for_text(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_for(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    /// Waits until the screen contains every one of `needles` (the text a test asserts,
    /// not only a first sign of the frame: a frame can be read half drawn).
    pub fn wait_for_all(&self, needles: &[&str], timeout: Duration) -> Result<String, String> {
        self.wait_for(&format!("{needles:?} on screen"), timeout, |s| {
            needles.iter().all(|n| s.contains(n))
        })
    }

    /// Resizes the terminal; the kernel sends SIGWINCH to the foreground process group.
    pub fn resize(&self, cols: u16, rows: u16) {
        let mut term = lock(&self.shared.term);
        term.parser.set_size(nonzero(rows), nonzero(cols));
        rustix::termios::tcsetwinsize(&self.shared.master, winsize(cols, rows))
            .unwrap_or_else(|e| panic!("resizing the pty to {cols}x{rows}: {e}"));
    }

    /// The emulator's size as (rows, cols).
    pub fn size(&self) -> (u16, u16) {
        self.with_screen(|s| {
            let (rows, cols) = s.size();
            (rows.get(), cols.get())
        })
    }

    /// Sends `sig` to the child.
    pub fn signal(&self, sig: Signal) {
        if let Some(pid) = Pid::from_raw(self.pid as i32) {
            // Fails only if the child is gone, which the test will see some other way.
            let _ = rustix::process::kill_process(pid, sig);
        }
    }

    /// Closes the terminal's master side while the child lives, as when an SSH client or
    /// terminal emulator goes away: the kernel hangs the terminal up (SIGHUP to the session
    /// leader; reads then return 0 bytes and writes EIO). The reader stops first; the
    /// screen stays as it was. Later `send`s go nowhere.
    pub fn hang_up(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        // The master is shared with the (stopped) reader, so it cannot be dropped here:
        // /dev/null is put in its place, which closes the master (no other descriptor of it
        // exists: it is close-on-exec and was never duplicated).
        let null = std::fs::File::open("/dev/null").expect("open /dev/null");
        use std::os::fd::AsRawFd;
        // SAFETY: both descriptors are open and owned by this process; dup2 replaces the
        // master's descriptor number atomically, so the OwnedFd stays valid (now /dev/null).
        let r = unsafe { libc::dup2(null.as_raw_fd(), self.shared.master.as_raw_fd()) };
        assert!(r >= 0, "dup2: {}", io::Error::last_os_error());
    }

    /// The child's exit status, if it has exited (does not wait).
    pub fn exit_status(&self) -> Option<ExitStatus> {
        lock(&self.child).poll()
    }

    /// Waits up to `timeout` for the child to exit. Once it has, waits until its last
    /// output has reached the emulator, so the screen and `raw_output` are final.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exit_status() {
                self.settle();
                return Some(status);
            }
            if start.elapsed() >= timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the reader has found the terminal empty after this call began: all
    /// output written before the call has then been parsed.
    pub fn settle(&self) {
        // After `hang_up` there is no reader and nothing more to parse.
        if self.reader.is_none() {
            return;
        }
        let start = self.shared.idle_reads.load(Ordering::SeqCst);
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        while self.shared.idle_reads.load(Ordering::SeqCst) < start + 2 {
            // A child that writes without pause never lets the reader go idle.
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Every byte the child has written so far.
    pub fn raw_output(&self) -> Vec<u8> {
        lock(&self.shared.term).raw.clone()
    }

    /// The terminal's termios, read through the slave fd the test keeps.
    pub fn termios(&self) -> Termios {
        rustix::termios::tcgetattr(&self.slave).unwrap_or_else(|e| panic!("tcgetattr: {e}"))
    }

    /// Whether the terminal is in cooked mode (ICANON and ECHO set), as a well-behaved
    /// full-screen program leaves it when it exits.
    pub fn termios_cooked(&self) -> bool {
        self.termios()
            .local_modes
            .contains(LocalModes::ICANON | LocalModes::ECHO)
    }

    /// Whether the alternate screen is active.
    pub fn alternate_screen(&self) -> bool {
        self.with_screen(|s| s.alternate_screen())
    }

    /// Whether the terminal reports the mouse (any tracking mode or the SGR encoding on).
    pub fn mouse_reporting(&self) -> bool {
        self.with_screen(|s| {
            s.mouse_protocol_mode() != vt100::MouseProtocolMode::None
                || s.mouse_protocol_encoding() != vt100::MouseProtocolEncoding::Default
        })
    }

    /// Whether the cursor is hidden.
    pub fn cursor_hidden(&self) -> bool {
        self.with_screen(|s| s.hide_cursor())
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let mut child = lock(&self.child);
        if child.poll().is_none() {
            // Not reaped, so the child's PID (its process group ID too, it is a session
            // leader) still names it: the group can be killed safely.
            if let Some(pid) = Pid::from_raw(self.pid as i32) {
                let _ = rustix::process::kill_process_group(pid, Signal::KILL);
            }
            let _ = child.child.kill();
            let _ = child.child.wait();
        }
        drop(child);
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

fn screen_text(screen: &vt100::Screen) -> String {
    let (_, cols) = screen.size();
    screen
        .rows(0, cols.get())
        .map(|row| row.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_all(fd: impl AsFd, mut bytes: &[u8]) -> io::Result<()> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    while !bytes.is_empty() {
        match rustix::io::write(&fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::INTR) => {}
            // The child is not reading and the input queue is full.
            Err(Errno::AGAIN) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn read_loop(shared: &Shared) {
    let mut buf = vec![0u8; 64 * 1024];
    while !shared.stop.load(Ordering::SeqCst) {
        match rustix::io::read(&shared.master, &mut buf) {
            Ok(n) if n > 0 => {
                let replies = {
                    let mut term = lock(&shared.term);
                    term.raw.extend_from_slice(&buf[..n]);
                    term.parser.process(&buf[..n]);
                    std::mem::take(&mut term.parser.callbacks_mut().replies)
                };
                if !replies.is_empty() {
                    let _ = write_all(&shared.master, &replies);
                }
            }
            Err(Errno::INTR) => {}
            // AGAIN: nothing to read now. 0 or EIO: no slave open (cannot happen while the
            // Pty keeps its slave fd, but never spin on it).
            _ => {
                shared.idle_reads.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(READER_IDLE);
            }
        }
    }
}
