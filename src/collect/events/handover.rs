//! Loading the BPF programs in a short-lived child process that hands their descriptors
//! back, so that the load's memory is never threadtop's.
//!
//! Why: loading parses the kernel's BTF (5.5 MiB here) into about 16 MiB of heap and
//! relocates against it; done in threadtop, the process peaked at 33-40 MiB at 10,000
//! threads where it then holds about 20, and glibc kept part of the freed heap. The child
//! (threadtop itself, started again through /proc/self/exe with `CHILD_ENV` set and a
//! socket for stdin) loads and attaches everything as `EventSource::load` does, sends the
//! maps', links' and programs' descriptors in one SCM_RIGHTS message with what goes with
//! them (the walk's instructions, to grow its map later), and exits; the programs stay
//! attached by the links threadtop now holds. Where the child cannot be started or does
//! not answer, threadtop loads in-process and says why (`--json`: `events_loader`); where
//! it crashed (a signal such as SIGSEGV, or a panic), nothing is loaded in-process either:
//! the same parse of the same BTF by the same code would take threadtop down with it.
//!
//! Only the threadtop binary does this (`use_child_process`, from main): a test binary's
//! /proc/self/exe is not threadtop, so the library loads in-process by default.

use std::io::{IoSlice, IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};

use super::source::EventSource;
use crate::collect::task_iter::{Parts, TaskIter, walk::TaskWalk};

/// Set (to `events` or `events+tasks`) in the loading child's environment.
pub const CHILD_ENV: &str = "THREADTOP_BPF_LOADER";
/// Test-only: the program started as the loader (a missing one tests the fall-back).
const TEST_EXE_ENV: &str = "THREADTOP_TEST_LOADER_EXE";

const MAGIC: &[u8] = b"threadtop-bpf-handover-1\n";
/// A load takes about 0.4 s of CPU here; this is for a child that hangs.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);
/// Descriptors one message may carry: 4 maps, 12 links, 3 for the walk.
const MAX_FDS: usize = 32;

static USE_CHILD: AtomicBool = AtomicBool::new(false);

/// Why the loading child crashed, once it has: then nothing BPF is loaded in-process.
static CRASHED: OnceLock<String> = OnceLock::new();

/// The loading child crashed (said in words): loading in-process must not be tried.
pub fn child_crashed() -> Option<&'static str> {
    CRASHED.get().map(String::as_str)
}

/// A child's end that loading in-process would likely repeat: a crash signal, or the exit
/// code of a Rust panic (101). A SIGKILL is not one: it is ours after no answer (or the
/// OOM killer's), and a loaded machine can be the reason.
fn crash(status: &ExitStatus) -> bool {
    matches!(
        status.signal(),
        Some(
            libc::SIGSEGV
                | libc::SIGBUS
                | libc::SIGILL
                | libc::SIGFPE
                | libc::SIGABRT
                | libc::SIGSYS
                | libc::SIGTRAP
        )
    ) || status.code() == Some(101)
}

/// Loads in a child process from now on (the threadtop binary calls this first thing).
pub fn use_child_process() {
    USE_CHILD.store(true, Ordering::Relaxed);
}

pub fn child_process_used() -> bool {
    USE_CHILD.load(Ordering::Relaxed)
}

/// Where the BPF programs were loaded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoaderReport {
    /// The loading child, when one loaded them; `None`: threadtop itself.
    pub child: Option<ChildLoad>,
    /// Why not a child, when one was asked for and threadtop loaded them itself.
    pub why_not_child: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChildLoad {
    pub pid: u32,
    /// The child's peak RSS (VmHWM) when it handed over; `None`: unreadable.
    pub peak_rss_bytes: Option<u64>,
    /// From the child's start to the descriptors received.
    pub millis: u64,
}

/// In the threadtop binary, before anything else: when this process was started as the
/// loader (`CHILD_ENV`, stdin a socket), loads, hands over and returns the exit status.
pub fn run_child_if_asked() -> Option<u8> {
    let what = std::env::var(CHILD_ENV).ok()?;
    let stdin = std::io::stdin();
    let sock = stdin.as_fd();
    // Set by a user by mistake, on a terminal: not the loader.
    let is_socket = rustix::fs::fstat(sock)
        .map(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Socket)
        .unwrap_or(false);
    if !is_socket {
        return None;
    }
    let _ = rustix::thread::set_name(c"tt-bpf-loader");
    let loaded = EventSource::load(what == "events+tasks");
    let mut fds = Vec::new();
    let mut msg = MAGIC.to_vec();
    put_u64(&mut msg, peak_rss_bytes().unwrap_or(0));
    encode(&loaded, &mut msg, &mut fds);
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Some(1);
    }
    let sent = rustix::net::sendmsg(
        sock,
        &[IoSlice::new(&msg)],
        &mut control,
        SendFlags::NOSIGNAL,
    );
    Some(if sent == Ok(msg.len()) { 0 } else { 1 })
}

/// What the child sends after the magic and its peak: the source or why not, and the
/// task iterator or why not; descriptors in the order `decode` takes them.
fn encode<'a>(
    loaded: &'a Result<EventSource, String>,
    msg: &mut Vec<u8>,
    fds: &mut Vec<BorrowedFd<'a>>,
) {
    let src = match loaded {
        Err(why) => {
            msg.push(0);
            put_bytes(msg, why.as_bytes());
            return;
        }
        Ok(src) => src,
    };
    msg.push(1);
    let (maps, links) = src.fds();
    put_u64(msg, links.len() as u64);
    fds.extend(maps);
    fds.extend(links);
    match src.task_iter() {
        None => msg.push(0),
        Some(Err(why)) => {
            msg.push(1);
            put_bytes(msg, why.as_bytes());
        }
        Some(Ok(it)) => match it.parts() {
            Parts::Walk(walk) => {
                let (walk_fds, capacity, code, recs_at) = walk.parts();
                msg.push(2);
                put_u64(msg, u64::from(capacity));
                put_bytes(msg, &code);
                put_u64(msg, recs_at.len() as u64);
                for &at in recs_at {
                    put_u64(msg, at as u64);
                }
                fds.extend(walk_fds);
            }
            Parts::IterTask { link, walk_why_not } => {
                msg.push(3);
                match walk_why_not {
                    Some(why) => {
                        msg.push(1);
                        put_bytes(msg, why.as_bytes());
                    }
                    None => msg.push(0),
                }
                fds.push(link);
            }
        },
    }
}

/// The source (or why the child could not load it) from a message and its descriptors.
fn decode(
    msg: &[u8],
    fds: Vec<OwnedFd>,
    loader: LoaderReport,
) -> Result<Result<EventSource, String>, String> {
    let mut r = Reader { rest: msg };
    let mut fds = fds.into_iter();
    let mut fd = || fds.next().ok_or("fewer descriptors than the message names");
    match r.u8()? {
        0 => return Ok(Err(r.string()?)),
        1 => {}
        t => return Err(format!("unknown answer {t}")),
    }
    let links = r.u64()? as usize;
    if links > MAX_FDS {
        return Err(format!("{links} links named"));
    }
    let maps = [fd()?, fd()?, fd()?, fd()?];
    let links = (0..links).map(|_| fd()).collect::<Result<Vec<_>, _>>()?;
    let task_iter = match r.u8()? {
        0 => None,
        1 => Some(Err(r.string()?)),
        2 => {
            let capacity = u32::try_from(r.u64()?).map_err(|_| "capacity out of range")?;
            let code = r.bytes()?.to_vec();
            let n = r.u64()? as usize;
            if n > code.len() {
                return Err(format!("{n} map loads named"));
            }
            let recs_at = (0..n)
                .map(|_| r.u64().map(|v| v as usize))
                .collect::<Result<_, _>>()?;
            let walk = TaskWalk::from_parts([fd()?, fd()?, fd()?], capacity, &code, recs_at)?;
            Some(Ok(TaskIter::of_walk(walk)))
        }
        3 => {
            let why = match r.u8()? {
                0 => None,
                _ => Some(r.string()?),
            };
            Some(Ok(TaskIter::of_iter_task(fd()?, why)))
        }
        t => return Err(format!("unknown task program {t}")),
    };
    if !r.rest.is_empty() {
        return Err("trailing bytes".into());
    }
    EventSource::of_fds(maps, links, task_iter, loader).map(Ok)
}

/// Loads in a child process (see the module's comment); threadtop loads in-process when
/// the child cannot be started or does not answer, and says why.
pub fn load_in_child(task_iter: bool) -> Result<EventSource, String> {
    match from_child(task_iter) {
        Ok(loaded) => loaded,
        Err(why) if child_crashed().is_some() => Err(format!(
            "{why}; not loaded in threadtop, where the same load would likely crash it"
        )),
        Err(why) => {
            let mut src = EventSource::load(task_iter)?;
            src.set_loader(LoaderReport {
                child: None,
                why_not_child: Some(why),
            });
            Ok(src)
        }
    }
}

/// The child's answer: `Ok(Err)` when it could not load (the reason for the user),
/// `Err` when the child itself failed.
fn from_child(task_iter: bool) -> Result<Result<EventSource, String>, String> {
    let started = Instant::now();
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| format!("socketpair: {e}"))?;
    let exe = std::env::var_os(TEST_EXE_ENV).unwrap_or_else(|| "/proc/self/exe".into());
    let mut child = Command::new(&exe)
        .env(CHILD_ENV, if task_iter { "events+tasks" } else { "events" })
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", exe.to_string_lossy()))?;
    // (The Command, and with it our copy of the child's end, is gone: a child that dies
    // ends the read below.)
    let answer = receive(&ours);
    let took = started.elapsed();
    if answer.is_err() {
        let _ = child.kill();
    }
    let status = child.wait();
    let (msg, fds) = answer.map_err(|e| {
        let mut err = String::new();
        if let Some(mut s) = child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        let how = status
            .as_ref()
            .map_or_else(|e| e.to_string(), |s| s.to_string());
        let err = err.trim();
        let why = format!(
            "the loading process ({how}) {e}{}{err}",
            if err.is_empty() { "" } else { ": " }
        );
        if status.as_ref().is_ok_and(crash) {
            let _ = CRASHED.set(why.clone());
        }
        why
    })?;
    let rest = msg
        .strip_prefix(MAGIC)
        .ok_or("the loading process answered garbage")?;
    let mut r = Reader { rest };
    let peak = r.u64()?;
    let loader = LoaderReport {
        child: Some(ChildLoad {
            pid: child.id(),
            peak_rss_bytes: (peak > 0).then_some(peak),
            millis: took.as_millis() as u64,
        }),
        why_not_child: None,
    };
    decode(r.rest, fds, loader)
}

/// One message and the descriptors it carries.
fn receive(sock: &OwnedFd) -> Result<(Vec<u8>, Vec<OwnedFd>), String> {
    rustix::net::sockopt::set_socket_timeout(
        sock,
        rustix::net::sockopt::Timeout::Recv,
        Some(ANSWER_WITHIN),
    )
    .map_err(|e| format!("setting a timeout: {e}"))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = loop {
        match rustix::net::recvmsg(
            sock,
            &mut [IoSliceMut::new(&mut buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::AGAIN) => {
                return Err(format!(
                    "did not answer within {} s",
                    ANSWER_WITHIN.as_secs()
                ));
            }
            Err(e) => return Err(format!("could not be read: {e}")),
            Ok(m) => break m,
        }
    };
    let mut fds = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(rights) = m {
            fds.extend(rights);
        }
    }
    if got.bytes == 0 {
        return Err("ended without an answer".into());
    }
    if got
        .flags
        .intersects(rustix::net::ReturnFlags::TRUNC | rustix::net::ReturnFlags::CTRUNC)
    {
        return Err("answered more than fits".into());
    }
    buf.truncate(got.bytes);
    Ok((buf, fds))
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("the loading process's answer is truncated".into());
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = usize::try_from(self.u64()?).map_err(|_| "length out of range")?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_travels_as_its_reason() {
        let loaded: Result<EventSource, String> = Err("needs CAP_BPF".into());
        let (mut msg, mut fds) = (Vec::new(), Vec::new());
        encode(&loaded, &mut msg, &mut fds);
        assert!(fds.is_empty());
        match decode(&msg, Vec::new(), LoaderReport::default()) {
            Ok(Err(why)) => assert_eq!(why, "needs CAP_BPF"),
            _ => panic!("not the refusal"),
        }
    }

    #[test]
    fn a_short_or_odd_answer_is_an_error_not_a_panic() {
        for msg in [
            &b""[..],
            &[1],
            &[1, 4, 0, 0, 0, 0, 0, 0, 0],
            &[7],
            &[0, 200, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert!(
                decode(msg, Vec::new(), LoaderReport::default()).is_err(),
                "{msg:?} accepted"
            );
        }
    }
}
