//! Samples what a few tasks wait on, several times a tick, within a cost budget.
//!
//! One round reads, per task, `/proc/TGID/task/TID/syscall` (through a kept descriptor:
//! a kept /proc descriptor stays bound to its task, so a TID reused by a new task is never
//! mistaken for the old one), then `stat` for the state letter only when the task is
//! blocked, `wchan` only when the system call is unknown, and the descriptor's link when
//! it waits on one. A runnable task costs one read.

use std::collections::HashMap;
use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::classify::{Kind, Syscall, kind_of, parse_syscall, reason, syscall_name};
use super::fds::{Tcp, find_tcp, socket_inode};
use super::{FdWhat, Reason, Target, TaskSamples, WaitSamples};
use crate::collect::parse::parse_stat;
use crate::collect::snapshot::TaskKey;

/// Share of a whole-machine scan's cost that one interval's sampling may add: the rounds
/// of an interval are planned from the last round's measured cost and the last scan's, so
/// sampling never adds more than this to a tick, whatever the machine.
///
/// Measured with `cargo run --release --example wait_sample` on this 2-CPU VM (kernel 6.18,
/// load 17, 12,181 tasks): a whole-machine scan 137 ms (median of 50); one round over 40
/// user tasks, 38 of them blocked, 0.19 ms (4.8 µs a task; 3.3 µs over 10). So 40 rows get
/// the cap, 50 rounds a second (9.6 ms, 7 % of the scan); on a machine of 300 tasks (a
/// 3.4 ms scan at the same cost a task) they would get one extra round a second, 10 rows four.
pub const BUDGET_OF_SCAN: f64 = 0.10;

/// The shortest time between rounds: 50 a second already resolves a 2 % share; faster would
/// only add cost.
pub const MIN_PERIOD: Duration = Duration::from_millis(20);

/// Rounds an interval gets whatever the budget says when at most `FEW_TASKS` are sampled:
/// 10 samples resolve a share to about ±15 points, and 100 tasks cost about 0.5 ms a round
/// (5 ms a second at 10 rounds), nothing beside a tick.
pub const MIN_ROUNDS: u32 = 10;
pub const FEW_TASKS: usize = 100;

/// Tasks whose descriptors are kept open between rounds; more are opened and closed each
/// round (a whole-machine `--json`), so the sampler never holds thousands of descriptors.
const KEEP_MAX: usize = 256;

/// Time between rounds so that the rounds of `interval` cost at most `BUDGET_OF_SCAN` of a
/// scan that took `scan`, with one round costing `round`; `None` when not even one extra
/// round fits (the interval then gets the one taken with the scan).
pub fn period(interval: Duration, scan: Duration, round: Duration) -> Option<Duration> {
    let budget = scan.as_secs_f64() * BUDGET_OF_SCAN;
    let rounds = (budget / round.as_secs_f64().max(1e-7)).floor();
    if rounds < 1.0 {
        return None;
    }
    let by_cost = interval.as_secs_f64() / rounds;
    Some(Duration::from_secs_f64(by_cost).max(MIN_PERIOD))
}

struct Kept {
    key: TaskKey,
    tgid: u32,
    syscall: Option<File>,
    stat: Option<File>,
}

pub struct Sampler {
    root: PathBuf,
    want: Vec<(u32, u32)>,
    kept: HashMap<u32, Kept>,
    acc: HashMap<TaskKey, TaskSamples>,
    rounds: u32,
    /// The last round's cost.
    round_cost: Duration,
    period: Duration,
    /// TCP tables and sockets looked up this interval (see `NetTables`).
    net_cache: NetTables,
    buf: Vec<u8>,
}

impl Sampler {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Sampler {
            root: root.into(),
            want: Vec::new(),
            kept: HashMap::new(),
            acc: HashMap::new(),
            rounds: 0,
            round_cost: Duration::ZERO,
            period: Duration::ZERO,
            net_cache: NetTables::default(),
            buf: vec![0; 4096],
        }
    }

    /// The tasks to sample from now on, as (TGID, TID).
    pub fn set_tasks(&mut self, mut tasks: Vec<(u32, u32)>) {
        tasks.sort_unstable();
        tasks.dedup();
        if tasks != self.want {
            self.kept
                .retain(|tid, k| tasks.binary_search(&(k.tgid, *tid)).is_ok());
            self.want = tasks;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.want.is_empty()
    }

    /// How many tasks are sampled.
    pub fn len(&self) -> usize {
        self.want.len()
    }

    /// What the last round cost.
    pub fn round_cost(&self) -> Duration {
        self.round_cost
    }

    /// The time between rounds for this interval (see `period`), recorded for the result.
    pub fn plan(&mut self, interval: Duration, scan: Duration) -> Option<Duration> {
        if self.want.is_empty() {
            return None;
        }
        // Before any round, assume 4 µs a task (the figure above).
        let round = if self.round_cost.is_zero() {
            Duration::from_micros(4 * self.want.len() as u64)
        } else {
            self.round_cost
        };
        let p = period(interval, scan, round);
        self.period = p.unwrap_or(interval);
        p
    }

    /// `MIN_ROUNDS` when at most `FEW_TASKS` tasks are sampled, else 0 (the budget alone).
    pub fn min_rounds(&self) -> u32 {
        if self.want.len() <= FEW_TASKS {
            MIN_ROUNDS
        } else {
            0
        }
    }

    /// As `plan`, with at least `min_rounds` rounds in `interval` (never closer than
    /// `MIN_PERIOD`); `None` only when nothing is sampled or neither asks for a round.
    pub fn plan_at_least(
        &mut self,
        interval: Duration,
        scan: Duration,
        min_rounds: u32,
    ) -> Option<Duration> {
        if self.want.is_empty() {
            return None;
        }
        let by_budget = self.plan(interval, scan);
        if min_rounds == 0 {
            return by_budget;
        }
        // Never 0 (an interval of 0 would spin).
        let floor = (interval / min_rounds)
            .max(MIN_PERIOD.min(interval))
            .max(Duration::from_millis(1));
        let every = by_budget.map_or(floor, |p| p.min(floor));
        self.period = every;
        Some(every)
    }

    /// Samples for `span` (instead of sleeping it), at the budget's period for a scan
    /// that took `scan`, with at least `min_rounds` rounds spread over it.
    pub fn sample_during(&mut self, span: Duration, scan: Duration, min_rounds: u32) {
        let end = Instant::now() + span;
        let every = self.plan_at_least(span, scan, min_rounds).unwrap_or(span);
        self.period = every;
        let mut at = Instant::now() + every / 2;
        loop {
            let now = Instant::now();
            if at >= end || now >= end {
                break;
            }
            std::thread::sleep(at.saturating_duration_since(now));
            self.round();
            at += every;
        }
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
    }

    /// One round over every wanted task.
    pub fn round(&mut self) {
        let began = Instant::now();
        let keep = self.want.len() <= KEEP_MAX;
        let want = std::mem::take(&mut self.want);
        for &(tgid, tid) in &want {
            self.sample(tgid, tid, keep);
        }
        self.want = want;
        self.rounds += 1;
        self.round_cost = began.elapsed();
    }

    /// The interval's samples; the next interval starts empty.
    pub fn take(&mut self) -> WaitSamples {
        let out = WaitSamples {
            tasks: std::mem::take(&mut self.acc),
            rounds: self.rounds,
            period_ns: self.period.as_nanos() as u64,
        };
        self.rounds = 0;
        self.net_cache = NetTables::default();
        out
    }

    fn task_dir(&self, tgid: u32, tid: u32) -> PathBuf {
        self.root
            .join(tgid.to_string())
            .join("task")
            .join(tid.to_string())
    }

    fn sample(&mut self, tgid: u32, tid: u32, keep: bool) {
        let dir = self.task_dir(tgid, tid);
        let kept = match self.kept.remove(&tid) {
            Some(k) => k,
            None => match open(&dir, tgid, &mut self.buf) {
                Some(k) => k,
                None => return, // gone: a normal outcome
            },
        };
        let syscall = kept
            .syscall
            .as_ref()
            .map(|f| read_at0(f, &mut self.buf).map(|n| parse_syscall(&self.buf[..n])));
        let syscall = match syscall {
            // Gone since the descriptor was opened.
            Some(Err(e)) if gone(&e) => return,
            Some(Ok(s)) => Ok(s),
            Some(Err(e)) => Err(e),
            None => Err(std::io::Error::from(ErrorKind::PermissionDenied)),
        };
        let denied = syscall.is_err();
        let entry = self.acc.entry(kept.key).or_insert_with(|| TaskSamples {
            tgid,
            ..TaskSamples::default()
        });
        if let Ok(Some(Syscall::Running)) = syscall {
            entry.samples += 1;
            entry.runnable += 1;
            if keep {
                self.kept.insert(tid, kept);
            }
            return;
        }
        let state = match kept.stat.as_ref().map(|f| read_at0(f, &mut self.buf)) {
            Some(Ok(n)) => match parse_stat(&self.buf[..n]) {
                Some(s) if s.starttime == kept.key.start_ticks => s.state,
                _ => return,
            },
            _ => return, // gone
        };
        let (name, args) = match syscall {
            Ok(Some(Syscall::In { nr, args })) => (
                Some(syscall_name(nr).map_or_else(|| nr.to_string(), str::to_owned)),
                args,
            ),
            _ => (None, [0; 6]),
        };
        let wchan = if name.is_none() || matches!(state, b'D') {
            std::fs::read(dir.join("wchan")).unwrap_or_default()
        } else {
            Vec::new()
        };
        let entry = self.acc.entry(kept.key).or_default();
        entry.samples += 1;
        entry.ptrace_denied |= denied;
        let Some(why) = reason(state, name.as_deref(), &wchan) else {
            entry.runnable += 1;
            if keep {
                self.kept.insert(tid, kept);
            }
            return;
        };
        entry.off[why as usize] += 1;
        let target = match (why, &name) {
            (Reason::Io, _) => Target::Io { wchan },
            (Reason::Stopped, _) => Target::Stopped,
            (_, None) if denied => Target::NeedsPtrace { wchan },
            (_, None) => Target::Other {
                syscall: None,
                wchan,
            },
            (_, Some(n)) => match kind_of(n) {
                Kind::Futex => Target::Futex(args[0]),
                Kind::Fd => {
                    let fd = args[0];
                    let what = describe_fd(&self.root, &dir, tgid, fd, &mut self.net_cache);
                    Target::Fd {
                        syscall: n.clone(),
                        fd,
                        what,
                    }
                }
                Kind::Sleep {
                    request_arg,
                    flags_arg,
                } => Target::Sleep {
                    ns: read_timespec(tid, args[request_arg]),
                    absolute: flags_arg.is_some_and(|i| args[i] & 1 != 0),
                },
                Kind::Multi | Kind::Other => Target::Other {
                    syscall: Some(n.clone()),
                    wchan,
                },
            },
        };
        let entry = self.acc.entry(kept.key).or_default();
        entry.add_target(target);
        if keep {
            self.kept.insert(tid, kept);
        }
    }
}

fn gone(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ESRCH) | Some(libc::ENOENT))
}

fn read_at0(f: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    f.read_at(buf, 0)
}

/// Opens a task's files and reads its start time (its identity). `None`: gone.
fn open(dir: &Path, tgid: u32, buf: &mut [u8]) -> Option<Kept> {
    let stat = File::open(dir.join("stat")).ok()?;
    let n = read_at0(&stat, buf).ok()?;
    let s = parse_stat(&buf[..n])?;
    let key = TaskKey {
        tid: s.pid,
        start_ticks: s.starttime,
    };
    // Mode 0400 and a ptrace check: another user's task refuses this (kept as `None`).
    let syscall = File::open(dir.join("syscall")).ok();
    Some(Kept {
        key,
        tgid,
        syscall,
        stat: Some(stat),
    })
}

/// What descriptor `fd` of the task is. The link may vanish between the system call's read
/// and this one (closed meanwhile): that is said, not guessed.
fn describe_fd(root: &Path, dir: &Path, tgid: u32, fd: u64, net: &mut NetTables) -> FdWhat {
    use std::os::unix::ffi::OsStrExt;
    let link = match std::fs::read_link(dir.join("fd").join(fd.to_string())) {
        Ok(l) => l.as_os_str().as_bytes().to_vec(),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => return FdWhat::Denied,
        Err(_) => return FdWhat::Closed,
    };
    let fd_path = dir.join("fd").join(fd.to_string());
    let tcp = socket_inode(&link)
        .filter(|_| socket_protocol(&fd_path).is_none_or(|p| p.starts_with(b"TCP")))
        .and_then(|inode| net.tcp(root, tgid, inode));
    FdWhat::Link { link, tcp }
}

/// A socket's protocol as the kernel names it (`TCP`, `TCPv6`, `UNIX-STREAM`, `UDP`, ...), from
/// the `system.sockprotoname` attribute of its /proc fd link: one system call, where a
/// TCP table costs a walk of the kernel's whole TCP hash table (1.3 ms here), so those are
/// read only for TCP sockets. `None`: not said (refused, closed, an old kernel).
fn socket_protocol(fd_path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(fd_path.as_os_str().as_bytes()).ok()?;
    let mut buf = [0u8; 32];
    // SAFETY: both strings are NUL-terminated and `buf` is writable for its length.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            c"system.sockprotoname".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = usize::try_from(n).ok()?;
    let name = &buf[..n.min(buf.len())];
    Some(name.strip_suffix(b"\0").unwrap_or(name).to_vec())
}

/// The TCP tables read this interval, one per network namespace, and what each socket
/// looked up turned out to be (sockets' inodes are unique across namespaces). Reading
/// /proc/PID/net/tcp walks the kernel's whole TCP hash table, however few sockets it
/// lists: about 1.3 ms for tcp and tcp6 with three sockets listed on a 24 GiB machine.
/// Read each round (ten a second) for each process waiting on a socket, they cost 130-150
/// ms of CPU a second on an idle machine; kept for the interval (`Sampler::take` starts
/// afresh), a socket's state and ports are as of the first round that asked.
#[derive(Default)]
pub struct NetTables {
    tables: HashMap<NetKey, Vec<u8>>,
    sockets: HashMap<u64, Option<Tcp>>,
    /// Tables read (tcp and tcp6 count as one), for the test that they are kept.
    reads: u32,
}

/// A network namespace (its `net:[…]` link), or the process itself where that link is
/// refused (as for PID 1 on the project's machine).
#[derive(PartialEq, Eq, Hash)]
enum NetKey {
    Namespace(Vec<u8>),
    Process(u32),
}

impl NetTables {
    fn tcp(&mut self, root: &Path, tgid: u32, inode: u64) -> Option<Tcp> {
        use std::os::unix::ffi::OsStrExt;
        if let Some(known) = self.sockets.get(&inode) {
            return *known;
        }
        let proc_dir = root.join(tgid.to_string());
        let key = match std::fs::read_link(proc_dir.join("ns").join("net")) {
            Ok(l) => NetKey::Namespace(l.as_os_str().as_bytes().to_vec()),
            Err(_) => NetKey::Process(tgid),
        };
        let reads = &mut self.reads;
        let table = self.tables.entry(key).or_insert_with(|| {
            *reads += 1;
            let base = proc_dir.join("net");
            let mut t = std::fs::read(base.join("tcp")).unwrap_or_default();
            t.extend(std::fs::read(base.join("tcp6")).unwrap_or_default());
            t
        });
        let found = find_tcp(table, inode);
        self.sockets.insert(inode, found);
        found
    }
}

/// The `struct timespec` a sleeping task asked for, read from its memory (the same access
/// as ptrace's). `None` when refused or not mapped.
fn read_timespec(tid: u32, addr: u64) -> Option<u64> {
    if addr == 0 {
        return None;
    }
    let mut ts = [0i64; 2];
    let local = libc::iovec {
        iov_base: ts.as_mut_ptr().cast(),
        iov_len: std::mem::size_of_val(&ts),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: std::mem::size_of_val(&ts),
    };
    // SAFETY: `local` points at our own 16-byte array, valid for the call; the remote
    // range is only read by the kernel, which checks access and mapping.
    let n = unsafe { libc::process_vm_readv(tid as libc::pid_t, &local, 1, &remote, 1, 0) };
    if n != std::mem::size_of_val(&ts) as isize {
        return None;
    }
    let (s, ns) = (ts[0], ts[1]);
    if s < 0 || !(0..1_000_000_000).contains(&ns) {
        return None;
    }
    (s as u64)
        .checked_mul(1_000_000_000)?
        .checked_add(ns as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_task_dir() -> (u32, PathBuf) {
        let me = std::process::id();
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        (me, PathBuf::from(format!("/proc/{me}/task/{tid}")))
    }

    #[test]
    fn a_closed_fd_is_said_and_a_listening_socket_named_with_its_port() {
        let (me, dir) = own_task_dir();
        let mut net = NetTables::default();
        // Closed between the system call's read and the link's: said, not guessed.
        let closed = describe_fd(Path::new("/proc"), &dir, me, 99_999, &mut net);
        assert_eq!(closed, FdWhat::Closed);
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            eprintln!("skipped the socket half: cannot listen on 127.0.0.1 here");
            return;
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        use std::os::fd::AsRawFd;
        let fd = listener.as_raw_fd() as u64;
        match describe_fd(Path::new("/proc"), &dir, me, fd, &mut net) {
            FdWhat::Link { link, tcp } => {
                assert!(link.starts_with(b"socket:["), "{link:?}");
                let tcp = tcp.expect("in /proc/net/tcp");
                assert_eq!((tcp.state, tcp.local_port), ("LISTEN", port));
            }
            other => panic!("{other:?}"),
        }
    }

    /// A namespace's TCP tables are read once an interval however many sockets and rounds
    /// ask (each read walks the kernel's whole TCP hash table: 1.3 ms here).
    #[test]
    fn tcp_tables_are_read_once_an_interval() {
        let (me, dir) = own_task_dir();
        let (Ok(a), Ok(b)) = (
            std::net::TcpListener::bind("127.0.0.1:0"),
            std::net::TcpListener::bind("127.0.0.1:0"),
        ) else {
            eprintln!("SKIPPED: cannot listen on 127.0.0.1 here");
            return;
        };
        use std::os::fd::AsRawFd;
        let mut net = NetTables::default();
        for _round in 0..10 {
            for l in [&a, &b] {
                let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                match describe_fd(Path::new("/proc"), &dir, me, l.as_raw_fd() as u64, &mut net) {
                    FdWhat::Link { tcp: Some(tcp), .. } => assert_eq!(tcp.local_port, port),
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(net.reads, 1, "tables read again within the interval");
    }

    /// A socket that is not TCP (here a Unix one) is named by its link and costs no TCP
    /// table read.
    #[test]
    fn a_socket_that_is_not_tcp_reads_no_tcp_table() {
        let (me, dir) = own_task_dir();
        let Ok((a, _b)) = std::os::unix::net::UnixStream::pair() else {
            eprintln!("SKIPPED: no Unix socket pair here");
            return;
        };
        use std::os::fd::AsRawFd;
        assert_eq!(
            socket_protocol(&dir.join("fd").join(a.as_raw_fd().to_string())).as_deref(),
            Some(&b"UNIX-STREAM"[..])
        );
        let mut net = NetTables::default();
        match describe_fd(Path::new("/proc"), &dir, me, a.as_raw_fd() as u64, &mut net) {
            FdWhat::Link { link, tcp: None } => assert!(link.starts_with(b"socket:["), "{link:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(net.reads, 0, "a TCP table read for a Unix socket");
    }

    #[test]
    fn a_task_that_exits_between_rounds_keeps_what_was_seen_and_is_dropped() {
        let me = std::process::id();
        let (tx, rx) = std::sync::mpsc::channel();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = tx.send(rustix::thread::gettid().as_raw_nonzero().get() as u32);
            let _ = wait.recv();
        });
        let tid = rx.recv().unwrap_or(0);
        let mut s = Sampler::new("/proc");
        s.set_tasks(vec![(me, tid)]);
        s.round();
        let _ = go.send(());
        let _ = t.join();
        // join returns when the thread cleared its TID, which can be before the kernel
        // has removed it from /proc: wait until it is gone, or a busy machine lets the
        // next round still sample it.
        let path = format!("/proc/self/task/{tid}");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::path::Path::new(&path).exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "thread {tid} never went"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        s.round();
        s.round();
        let out = s.take();
        let seen = out.tasks.values().next().cloned().unwrap_or_default();
        assert_eq!(seen.samples, 1, "{seen:?}");
        assert!(
            s.kept.is_empty(),
            "the gone task's descriptors were dropped"
        );
    }

    #[test]
    fn the_budget_sets_the_period() {
        let s = Duration::from_secs(1);
        // A 5 ms scan, 0.1 ms rounds: 5 rounds a second fit in 0.5 ms.
        assert_eq!(
            period(s, Duration::from_millis(5), Duration::from_micros(100)),
            Some(Duration::from_millis(200))
        );
        // Cheap rounds: capped at MIN_PERIOD.
        assert_eq!(
            period(s, Duration::from_millis(5), Duration::from_micros(1)),
            Some(MIN_PERIOD)
        );
        // A round dearer than a tenth of the scan: none.
        assert_eq!(
            period(s, Duration::from_millis(5), Duration::from_millis(1)),
            None
        );
    }

    #[test]
    fn a_task_of_our_own_is_sampled_and_a_gone_one_skipped() {
        let me = std::process::id();
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        let mut s = Sampler::new("/proc");
        s.set_tasks(vec![(me, tid), (me, u32::MAX - 1)]);
        s.round();
        s.round();
        let out = s.take();
        assert_eq!(out.rounds, 2);
        assert_eq!(out.tasks.len(), 1, "the missing TID is left out");
        let t = out.tasks.values().next().cloned().unwrap_or_default();
        // This thread runs while it samples itself.
        assert_eq!((t.samples, t.runnable), (2, 2), "{t:?}");
        assert!(s.take().tasks.is_empty(), "take starts a new interval");
    }
}
