//! Shared helpers for end-to-end tests: a pseudo-terminal harness ([`pty::Pty`]) and the
//! `threadtop-workload` program ([`workload`]). Each test file uses a subset.
#![allow(dead_code)]

pub mod cgroups;
pub mod pty;
pub mod smaps;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, atomic};

#[allow(unused_imports)]
pub use pty::{DEFAULT_TIMEOUT, Pty};

/// A scanner of the real /proc for a test, keeping at most an eighth of RLIMIT_NOFILE's
/// descriptors. A `Scanner` budgets for the whole process (threadtop has one), but a test
/// binary runs its tests in parallel: with 25,000 tasks and a limit of 20,000, three
/// scanners in robust_proc ran the process out, and a task none could open came back
/// unreadable (the zombie leader's name empty, "thread 16409: left: \"\"").
pub fn proc_scanner() -> threadtop::collect::Scanner {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024);
    let share = usize::try_from(limit / 8).unwrap_or(usize::MAX);
    threadtop::collect::Scanner::with_fd_limit("/proc", share)
}

/// The threadtop binary built for these tests.
pub const THREADTOP: &str = env!("CARGO_BIN_EXE_threadtop");
/// The workload binary: a workspace member (so `cargo install` leaves it out), built by
/// `cargo build` / `cargo test` / `cargo bench` at the root into the same target directory
/// as this test, one level above its `deps/`.
pub static WORKLOAD: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap_or(std::path::Path::new("."));
    let path = dir.join("threadtop-workload");
    assert!(
        path.exists(),
        "{} is not built: run the tests from the repository root (`cargo test`), or `cargo build -p threadtop-workload`",
        path.display()
    );
    path.to_string_lossy().into_owned()
});

/// A running `threadtop-workload` whose threads have all started and named themselves.
/// Dropping it kills the process.
pub struct Workload {
    pub pid: u32,
    /// (TID, comm) for every thread, the main thread (TID == pid) first. The comm is the
    /// raw bytes the thread set, at most 15.
    pub threads: Vec<(u32, Vec<u8>)>,
    /// Processes it started with `--share-demo`: (pid, name).
    pub children: Vec<(u32, String)>,
    /// The PID of the `--exec-loop` child, if asked for.
    pub exec_pid: Option<u32>,
    /// Its stdin is piped and kept here: take and drop it to close it (with `--exit-on-eof`
    /// the workload then exits, which it also does if the test process dies).
    pub child: Child,
}

impl Workload {
    /// The TID of the (first) thread named `name`.
    pub fn tid(&self, name: impl AsRef<[u8]>) -> Option<u32> {
        let name = name.as_ref();
        self.threads
            .iter()
            .find(|(_, n)| n == name)
            .map(|&(tid, _)| tid)
    }

    /// All TIDs, sorted.
    pub fn tids(&self) -> Vec<u32> {
        let mut tids: Vec<u32> = self.threads.iter().map(|&(tid, _)| tid).collect();
        tids.sort_unstable();
        tids
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts `threadtop-workload` with `args` (a plain process, not on a pty) and reads its
/// report. Panics with the workload's stderr if it fails to start its threads.
pub fn workload<A: AsRef<OsStr>>(args: &[A]) -> Workload {
    try_workload(args).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`workload`], but a workload that cannot start (too many threads for this machine)
/// is an `Err` with its stderr, for tests that skip then.
pub fn try_workload<A: AsRef<OsStr>>(args: &[A]) -> Result<Workload, String> {
    let mut child = Command::new(&*WORKLOAD)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", *WORKLOAD))?;
    let stdout = child.stdout.take().ok_or("stdout is piped")?;
    let mut pid = None;
    let mut exec_pid = None;
    let mut threads = Vec::new();
    let mut children = Vec::new();
    let mut ended = false;
    for line in BufReader::new(stdout).split(b'\n') {
        let Ok(line) = line else { break };
        let line = String::from_utf8(line).expect("the report is ASCII");
        if let Some(p) = line.strip_prefix("ready ") {
            pid = p.parse().ok();
        } else if let Some(rest) = line.strip_prefix("thread ") {
            let (tid, name) = rest.split_once(' ').expect("thread TID NAME");
            threads.push((tid.parse().expect("numeric TID"), unescape(name)));
        } else if let Some(rest) = line.strip_prefix("child ") {
            let (pid, name) = rest.split_once(' ').expect("child PID NAME");
            children.push((pid.parse().expect("numeric PID"), name.to_string()));
        } else if let Some(p) = line.strip_prefix("exec ") {
            exec_pid = p.parse().ok();
        } else if line == "end" {
            ended = true;
            break;
        }
    }
    let workload = Workload {
        pid: pid.unwrap_or(0),
        threads,
        children,
        exec_pid,
        child,
    };
    if !ended || pid.is_none() {
        let mut w = workload;
        let _ = w.child.kill();
        let mut err = String::new();
        if let Some(mut stderr) = w.child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        let status = w.child.wait();
        return Err(format!(
            "threadtop-workload {:?} failed ({status:?}):\n{err}",
            args_debug(args)
        ));
    }
    Ok(workload)
}

fn args_debug<A: AsRef<OsStr>>(args: &[A]) -> Vec<&OsStr> {
    args.iter().map(AsRef::as_ref).collect()
}

/// Undoes the workload's `\xNN` escaping.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let Some(hex) = s.get(i + 2..i + 4)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// An XDG_CONFIG_HOME with nothing in it: threadtop then reads no config file.
pub const NO_CONFIG_DIR: &str = "/nonexistent/threadtop-tests/config";

/// threadtop as a command, reading no config file (the tester's own must not change what
/// the tests see).
pub fn command() -> Command {
    let mut cmd = Command::new(THREADTOP);
    cmd.env("XDG_CONFIG_HOME", NO_CONFIG_DIR)
        .env_remove("THREADTOP_CONFIG");
    cmd
}

/// The threadtop binary built for these tests, as a path.
pub fn threadtop() -> &'static std::path::Path {
    std::path::Path::new(THREADTOP)
}

/// threadtop in a pseudo-terminal of `cols` x `rows`.
pub fn spawn<A: AsRef<OsStr>>(args: &[A], env: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
    Pty::spawn(THREADTOP, args, env, cols, rows).expect("start threadtop in a pty")
}

/// The terminal is as threadtop found it: cooked mode, main screen, cursor visible, no
/// mouse reporting (by the emulator's state and by the bytes: every mouse mode turned on
/// was turned off after).
pub fn assert_restored(pty: &Pty) {
    assert!(pty.termios_cooked(), "terminal left in raw mode");
    assert!(!pty.alternate_screen(), "still on the alternate screen");
    assert!(!pty.cursor_hidden(), "cursor left hidden");
    assert!(!pty.mouse_reporting(), "mouse reporting left on");
    let on = mouse_modes_left_on(&pty.raw_output());
    assert!(on.is_empty(), "mouse modes left on: {on:?}");
}

/// The mouse modes (`CSI ? 1000/1002/1003/1005/1006/1015 h`) whose last setting in `raw`
/// is on.
pub fn mouse_modes_left_on(raw: &[u8]) -> Vec<u32> {
    let mut on = std::collections::BTreeSet::new();
    let mut rest = raw;
    while let Some(at) = rest.windows(3).position(|w| w == b"\x1b[?") {
        rest = &rest[at + 3..];
        let len = rest
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b';'))
            .unwrap_or(rest.len());
        let set = match rest.get(len) {
            Some(b'h') => true,
            Some(b'l') => false,
            _ => continue,
        };
        for p in rest[..len].split(|&b| b == b';') {
            let n = std::str::from_utf8(p)
                .ok()
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(n @ (1000 | 1002 | 1003 | 1005 | 1006 | 1015)) = n {
                if set {
                    on.insert(n);
                } else {
                    on.remove(&n);
                }
            }
        }
    }
    on.into_iter().collect()
}

/// Whether `raw` ever turns a mouse mode on.
pub fn enables_mouse(raw: &[u8]) -> bool {
    [1000, 1002, 1003, 1005, 1006, 1015].iter().any(|n| {
        raw.windows(8)
            .any(|w| w == format!("\x1b[?{n}h").as_bytes())
    })
}

/// Whether any SGR sequence (`ESC [ params m`) sets a colour: 30-38, 40-48, 90-97 or
/// 100-107 (39 and 49, back to the default colour, are not a colour).
pub fn sets_colour(raw: &[u8]) -> bool {
    let mut rest = raw;
    while let Some(at) = rest.windows(2).position(|w| w == b"\x1b[") {
        rest = &rest[at + 2..];
        let len = rest
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b';'))
            .unwrap_or(rest.len());
        if rest.get(len) == Some(&b'm')
            && rest[..len].split(|&b| b == b';').any(|p| {
                std::str::from_utf8(p)
                    .ok()
                    .and_then(|p| p.parse::<u32>().ok())
                    .is_some_and(|n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107))
            })
        {
            return true;
        }
    }
    false
}

/// The table's lines on a threadtop screen: those under the column header, up to the first
/// blank line.
pub fn table_lines(screen: &str) -> Vec<&str> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(head) = lines
        .iter()
        .position(|l| l.contains("TID") && l.contains("TGID"))
    else {
        return Vec::new();
    };
    lines[head + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .copied()
        .collect()
}

/// Makes TIDs wrap (the next one handed out is near pid_max) every few milliseconds while it
/// lives, where we may write `ns_last_pid` (root); `None`, with the reason printed, elsewhere.
pub struct TidWrapper {
    stop: Arc<atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TidWrapper {
    pub fn start() -> Option<TidWrapper> {
        let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let near_end = (pid_max - 12).to_string();
        if let Err(e) = std::fs::write("/proc/sys/kernel/ns_last_pid", &near_end) {
            eprintln!("skipping the TID wrap (writing ns_last_pid: {e}); churn only");
            return None;
        }
        let stop = Arc::new(atomic::AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !s.load(atomic::Ordering::Relaxed) {
                let _ = std::fs::write("/proc/sys/kernel/ns_last_pid", &near_end);
                std::thread::sleep(std::time::Duration::from_millis(3));
            }
        });
        Some(TidWrapper {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for TidWrapper {
    fn drop(&mut self) {
        self.stop.store(true, atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// threadtop with `args` run as `nobody` through `setpriv`, stdout and stderr kept; `None`
/// (with the reason printed for `test`) where that cannot be done here: not root, no
/// setpriv, or the binary not reachable for nobody. A refusal that names the events is
/// threadtop's own answer, not a failure to run it.
pub fn as_nobody(test: &str, args: &[&str]) -> Option<std::process::Output> {
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if !rustix::process::geteuid().is_root() || !setpriv.exists() {
        eprintln!("{test}: skipped: needs root (to drop to nobody) and /usr/bin/setpriv");
        return None;
    }
    let out = std::process::Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(threadtop())
        .args(args)
        .env("XDG_CONFIG_HOME", NO_CONFIG_DIR)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run setpriv");
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("Permission denied") && out.stdout.is_empty() && !err.contains("events") {
        eprintln!("{test}: skipped: threadtop could not run as nobody here: {err}");
        return None;
    }
    Some(out)
}

/// `threadtop replay FILE --json --at AT`, which must succeed, parsed.
pub fn replay_json(file: &std::path::Path, at: &str) -> serde_json::Value {
    let out = command()
        .arg("replay")
        .arg(file)
        .args(["--json", "--at", at])
        .output()
        .expect("run replay --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}
