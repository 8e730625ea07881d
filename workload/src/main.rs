//! `threadtop-workload`: the workload for threadtop's end-to-end tests, benchmarks and demos.
//!
//! It starts named threads that either burn CPU (`busy-N`) or block (`sleep-N`, and one per
//! `--thread-name`, whose name may be any bytes, hostile ones included), then reports them:
//!
//! ```text
//! ready PID
//! thread TID NAME      (one line per thread, the main thread first)
//! end
//! ```
//!
//! NAME is the comm the thread set, with every byte that is not printable ASCII, and `\`,
//! written as `\xNN`. The program exits after `--seconds` (default 600, so a test can never
//! leak it for long), or when stdin reaches EOF if `--exit-on-eof` is given.
//!
//! Hostile workloads for the robustness tests:
//! - `--churn RATE`: a `churner` thread starts about RATE short-lived threads a second
//!   (named `churn-N`, each lives about a millisecond), forever: TIDs are reused quickly.
//! - `--cycle N`: a `cycler` thread starts N threads (`cycle-K`, each spinning about 2 ms),
//!   joins them all and starts N more, forever: the thread count stays near N + 2 while
//!   every member changes, so the scanner's "same count, nothing to list" shortcut meets
//!   new TIDs (lower ones too, once TIDs wrap) in place of the ones it kept.
//! - `--zombie-leader`: after the report the main thread exits on its own (SYS_exit, not
//!   exit_group), leaving a zombie group leader whose other threads still run.
//! - `--d-state`: a thread `vfork-wait` starts a child with clone(CLONE_VM | CLONE_VFORK)
//!   that never execs, so the thread waits in state D; the child (comm `vfork-child`)
//!   ends when the workload does.
//! - `--exec-loop`: a child process that exec's itself over and over (every few ms, with
//!   a new command line each time), reported as `exec PID` before `end`.
//! - `--share-demo`: children made by clone(2) with chosen flags (`fork-child`, `vm-child`
//!   with CLONE_VM, `files-child` with CLONE_FILES, `uts-child` in a new UTS namespace when
//!   permitted), reported as `child PID NAME` before `end`, for the share tests.
//! - `--writer PATH`: a thread `writer` writes 64 KiB to PATH and fsyncs it, about 20
//!   times a second (rewriting the same 1 MiB), for the storage I/O tests.
//!
//! - `--wake-every MS`: the sleeping threads wake every MS milliseconds and go back to
//!   sleep (as the workers of a pool or timer threads do) instead of never waking; the
//!   benchmark's "waking" workload uses 100.
//!
//! Scheduling workloads for the event tests (`--events`):
//! - `--ticker CPU`: a thread `ticker` pinned to CPU, at nice 19, that sleeps 5 ms in a
//!   loop: beside busy threads on that CPU (`--busy-on CPU`) it waits long for its CPU.
//! - `--mover A,B`: a thread `mover` that moves itself between CPUs A and B every 10 ms
//!   (sched_setaffinity): about 100 migrations a second.
//! - `--ping-pong`: threads `ping` and `pong` that hand a byte back and forth over two
//!   pipes as fast as they can: each wakes the other (tens of thousands of switches a second).
//!
//! Pools for the "why" tests (`--why-*`, N threads each):
//! - `--lock-pool N`: threads `lock-K` that take one shared mutex in a loop and spin 2 ms
//!   holding it: all but the holder wait on one futex (a lock convoy).
//! - `--pipe-pool N`: threads `pipe-K`, each blocked reading its own pipe (nothing is
//!   ever written; the write ends stay open).
//! - `--nap-pool N`: threads `nap-K` that sleep 100 ms in a loop.
//!
//! Three CPU-starved busy threads are `--busy-on 1 --busy-on 1 --busy-on 1`.
//!
//! ```text
//! threadtop-workload [--name NAME] [--busy N] [--busy-on CPU]... [--sleep N] [--thread-name NAME]...
//!                    [--churn RATE] [--cycle N] [--zombie-leader] [--d-state] [--exec-loop]
//!                    [--share-demo] [--writer PATH] [--ticker CPU] [--mover A,B] [--ping-pong]
//!                    [--lock-pool N] [--pipe-pool N] [--nap-pool N]
//!                    [--wake-every MS] [--seconds S] [--exit-on-eof]
//! ```

use std::ffi::{CString, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Linux keeps 15 bytes of a task's comm (16 with the NUL).
const COMM_LEN: usize = 15;
/// Small stacks so that tens of thousands of threads fit in memory.
const STACK_SIZE: usize = 64 * 1024;

/// Printed with thread start failures. Each std thread costs about four memory maps (stack,
/// its guard page, signal stack, its guard page), so the default vm.max_map_count of 65530
/// allows about 16,000 threads.
const LIMITS: &str = "\n(limits to check: `ulimit -u` (RLIMIT_NPROC), /proc/sys/kernel/threads-max, \
     /proc/sys/kernel/pid_max, /proc/sys/vm/max_map_count (about 4 maps per thread), \
     the cgroup's pids.max)";

struct Args {
    name: Option<CString>,
    busy: usize,
    /// One busy thread pinned to each listed CPU, named `pinC-K`.
    busy_on: Vec<usize>,
    sleep: usize,
    thread_names: Vec<CString>,
    /// Start children that share chosen objects with us (see `share_demo()`).
    share_demo: bool,
    seconds: u64,
    exit_on_eof: bool,
    churn: u32,
    cycle: u32,
    zombie_leader: bool,
    d_state: bool,
    exec_loop: bool,
    writer: Option<std::path::PathBuf>,
    ticker: Option<usize>,
    mover: Option<(usize, usize)>,
    ping_pong: bool,
    lock_pool: usize,
    pipe_pool: usize,
    nap_pool: usize,
    /// Sleeping threads wake every this many ms (`None`: they never wake).
    wake_every: Option<u64>,
}

const USAGE: &str = "usage: threadtop-workload [--name NAME] [--busy N] [--busy-on CPU]... [--sleep N] \
                     [--thread-name NAME]... [--churn RATE] [--cycle N] [--zombie-leader] [--d-state] \
                     [--exec-loop] [--share-demo] [--writer PATH] [--ticker CPU] [--mover A,B] [--ping-pong] \
                     [--lock-pool N] [--pipe-pool N] [--nap-pool N] [--wake-every MS] [--seconds S] \
                     [--exit-on-eof]";

/// A comm from arbitrary bytes: truncated to 15 bytes, interior NUL rejected.
fn comm(opt: &str, value: OsString) -> Result<CString, String> {
    let mut bytes = value.into_vec();
    bytes.truncate(COMM_LEN);
    CString::new(bytes).map_err(|_| format!("{opt}: the name must not contain a NUL byte"))
}

fn number<T: std::str::FromStr>(opt: &str, value: OsString) -> Result<T, String> {
    value
        .to_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{opt}: expected a number, got {value:?}"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        name: None,
        busy: 0,
        busy_on: Vec::new(),
        sleep: 0,
        thread_names: Vec::new(),
        share_demo: false,
        seconds: 600,
        exit_on_eof: false,
        churn: 0,
        cycle: 0,
        zombie_leader: false,
        d_state: false,
        exec_loop: false,
        writer: None,
        ticker: None,
        mover: None,
        ping_pong: false,
        lock_pool: 0,
        pipe_pool: 0,
        nap_pool: 0,
        wake_every: None,
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        let opt = arg.to_string_lossy().into_owned();
        let flag = match opt.as_str() {
            "--exit-on-eof" => Some(&mut args.exit_on_eof),
            "--share-demo" => Some(&mut args.share_demo),
            "--zombie-leader" => Some(&mut args.zombie_leader),
            "--d-state" => Some(&mut args.d_state),
            "--exec-loop" => Some(&mut args.exec_loop),
            "--ping-pong" => Some(&mut args.ping_pong),
            _ => None,
        };
        if let Some(flag) = flag {
            *flag = true;
            continue;
        }
        if opt == "--help" || opt == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{opt}: missing value\n{USAGE}"))?;
        match opt.as_str() {
            "--name" => args.name = Some(comm(&opt, value)?),
            "--busy" => args.busy = number(&opt, value)?,
            "--busy-on" => args.busy_on.push(number(&opt, value)?),
            "--sleep" => args.sleep = number(&opt, value)?,
            "--thread-name" => args.thread_names.push(comm(&opt, value)?),
            "--seconds" => args.seconds = number(&opt, value)?,
            "--wake-every" => args.wake_every = Some(number::<u64>(&opt, value)?.max(1)),
            "--churn" => args.churn = number(&opt, value)?,
            "--cycle" => args.cycle = number(&opt, value)?,
            "--writer" => args.writer = Some(value.into()),
            "--ticker" => args.ticker = Some(number(&opt, value)?),
            "--lock-pool" => args.lock_pool = number(&opt, value)?,
            "--pipe-pool" => args.pipe_pool = number(&opt, value)?,
            "--nap-pool" => args.nap_pool = number(&opt, value)?,
            "--mover" => {
                let text = value.to_string_lossy().into_owned();
                let (a, b) = text
                    .split_once(',')
                    .ok_or_else(|| format!("{opt}: expected A,B (two CPUs), got {text:?}"))?;
                args.mover = Some((number(&opt, a.into())?, number(&opt, b.into())?));
            }
            _ => return Err(format!("unknown option {opt:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// Shared by all threads: busy ones poll `stop`, sleeping ones wait on `cond`.
#[derive(Default)]
struct Stop {
    stop: AtomicBool,
    /// `--wake-every`: sleeping threads wake this often.
    wake_every: Option<Duration>,
    lock: Mutex<bool>,
    cond: Condvar,
}

impl Stop {
    fn sleep_until_stopped(&self) {
        let mut stopped = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            stopped = self.cond.wait(stopped).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Wakes every `period` until stopped: one nanosleep each time, nothing shared, so
    /// 10,000 such threads do not contend on a lock (their phases spread as they start).
    fn wake_until_stopped(&self, period: Duration) {
        while !self.stop.load(Ordering::Relaxed) {
            std::thread::sleep(period);
        }
    }

    fn spin_until_stopped(&self) {
        let mut x: u64 = 1;
        while !self.stop.load(Ordering::Relaxed) {
            for _ in 0..1000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
    }
}

/// 64 KiB written and synced to storage every 50 ms, over the same 1 MiB of `file`.
fn write_until_stopped(file: &mut std::fs::File, stop: &Stop) {
    use std::io::Seek;
    let block = vec![0x5a_u8; 64 * 1024];
    let mut at = 0u64;
    while !stop.stop.load(Ordering::Relaxed) {
        let written = file
            .seek(std::io::SeekFrom::Start(at))
            .and_then(|_| file.write_all(&block))
            .and_then(|()| file.sync_data());
        if let Err(e) = written {
            eprintln!("threadtop-workload: --writer: {e}");
            return;
        }
        at = (at + block.len() as u64) % (1024 * 1024);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sets the calling thread's comm and reports (TID, name as set) on `ready`.
fn name_self(name: &std::ffi::CStr, ready: &mpsc::Sender<(i32, Vec<u8>)>) {
    if let Err(e) = rustix::thread::set_name(name) {
        eprintln!("threadtop-workload: set_name({name:?}): {e}");
    }
    let tid = rustix::thread::gettid().as_raw_nonzero().get();
    let _ = ready.send((tid, name.to_bytes().to_vec()));
}

/// `\xNN` for every byte that is not printable ASCII, and for `\` itself.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'\\' || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn spawn(
    name: CString,
    stop: &Arc<Stop>,
    ready: &mpsc::Sender<(i32, Vec<u8>)>,
    busy: bool,
    pin: Option<usize>,
) -> Result<(), String> {
    let (stop, ready) = (Arc::clone(stop), ready.clone());
    let shown = escape(name.as_bytes());
    std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || {
            // Pinned before reporting ready, so a test never sees it anywhere else.
            if let Some(cpu) = pin {
                let mut set = rustix::thread::CpuSet::new();
                set.set(cpu);
                if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
                    eprintln!("threadtop-workload: pinning to CPU {cpu}: {e}");
                }
            }
            name_self(&name, &ready);
            drop(ready);
            match (busy, stop.wake_every) {
                (true, _) => stop.spin_until_stopped(),
                (false, Some(period)) => stop.wake_until_stopped(period),
                (false, None) => stop.sleep_until_stopped(),
            }
        })
        .map(drop)
        .map_err(|e| format!("cannot start thread {shown:?}: {e}{LIMITS}"))
}

fn run(args: Args) -> Result<(), String> {
    let stop = Arc::new(Stop {
        wake_every: args.wake_every.map(Duration::from_millis),
        ..Stop::default()
    });
    let (ready, reports) = mpsc::channel();

    let expected = 1
        + args.busy
        + args.busy_on.len()
        + args.sleep
        + args.thread_names.len()
        + usize::from(args.exit_on_eof)
        + usize::from(args.churn > 0)
        + usize::from(args.cycle > 0)
        + usize::from(args.d_state)
        + usize::from(args.writer.is_some())
        + usize::from(args.ticker.is_some())
        + usize::from(args.mover.is_some())
        + 2 * usize::from(args.ping_pong)
        + args.lock_pool
        + args.pipe_pool
        + args.nap_pool;
    let main_name = match args.name {
        Some(name) => name,
        None => rustix::thread::name().map_err(|e| format!("reading the comm: {e}"))?,
    };
    name_self(&main_name, &ready);

    let mut names = Vec::new();
    names.extend((0..args.busy).map(|i| (format!("busy-{i}"), true, None)));
    for (k, &cpu) in args.busy_on.iter().enumerate() {
        names.push((format!("pin{cpu}-{k}"), true, Some(cpu)));
    }
    names.extend((0..args.sleep).map(|i| (format!("sleep-{i}"), false, None)));
    for (name, busy, pin) in names {
        let name = CString::new(name).map_err(|e| e.to_string())?;
        spawn(name, &stop, &ready, busy, pin)?;
    }
    sched_threads((args.ticker, args.mover, args.ping_pong), &stop, &ready)?;
    let _pipe_writers = why_pools(
        (args.lock_pool, args.pipe_pool, args.nap_pool),
        &stop,
        &ready,
    )?;
    for name in args.thread_names {
        spawn(name, &stop, &ready, false, None)?;
    }
    if args.churn > 0 {
        let (stop, ready, rate) = (Arc::clone(&stop), ready.clone(), args.churn);
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(c"churner", &ready);
                drop(ready);
                churn(rate, &stop);
            })
            .map_err(|e| format!("cannot start the churner: {e}{LIMITS}"))?;
    }
    if args.cycle > 0 {
        let (stop, ready, n) = (Arc::clone(&stop), ready.clone(), args.cycle);
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(c"cycler", &ready);
                drop(ready);
                cycle(n, &stop);
            })
            .map_err(|e| format!("cannot start the cycler: {e}{LIMITS}"))?;
    }
    if args.d_state {
        let (stop, ready) = (Arc::clone(&stop), ready.clone());
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(c"vfork-wait", &ready);
                drop(ready);
                if let Err(e) = wait_in_vfork() {
                    eprintln!("threadtop-workload: --d-state: {e}");
                }
                stop.sleep_until_stopped();
            })
            .map_err(|e| format!("cannot start the vfork thread: {e}{LIMITS}"))?;
    }
    if let Some(path) = args.writer {
        let (stop, ready) = (Arc::clone(&stop), ready.clone());
        let mut file = std::fs::File::create(&path)
            .map_err(|e| format!("--writer {}: {e}", path.display()))?;
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(c"writer", &ready);
                drop(ready);
                write_until_stopped(&mut file, &stop);
            })
            .map_err(|e| format!("cannot start the writer: {e}{LIMITS}"))?;
    }
    let exec_child = if args.exec_loop {
        let exe = std::env::current_exe().map_err(|e| format!("--exec-loop: {e}"))?;
        let child = std::process::Command::new(exe)
            .args(["--exec-hop", &std::process::id().to_string(), "0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("--exec-loop: {e}"))?;
        Some(child)
    } else {
        None
    };

    // Sends when stdin reaches EOF; while `_keep_open` holds it, only the deadline ends us.
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let mut _keep_open = None;
    if args.exit_on_eof {
        let name = CString::new("stdin-eof").map_err(|e| e.to_string())?;
        let ready = ready.clone();
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(&name, &ready);
                drop(ready);
                let mut buf = [0u8; 4096];
                let mut stdin = std::io::stdin().lock();
                while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
                let _ = exit_tx.send(());
            })
            .map_err(|e| format!("cannot start the stdin thread: {e}"))?;
    } else {
        _keep_open = Some(exit_tx);
    }
    drop(ready);

    // Every thread reports once, after naming itself; the channel closes when all have (or
    // died trying: std panics in a new thread that cannot map its signal stack).
    let reports: Vec<(i32, Vec<u8>)> = reports.iter().collect();
    if reports.len() != expected {
        return Err(format!(
            "only {} of {expected} threads started{LIMITS}",
            reports.len()
        ));
    }
    let children = if args.share_demo {
        share_demo()?
    } else {
        Vec::new()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut report = || -> std::io::Result<()> {
        writeln!(out, "ready {}", std::process::id())?;
        for (tid, name) in &reports {
            writeln!(out, "thread {tid} {}", escape(name))?;
        }
        if let Some(child) = &exec_child {
            writeln!(out, "exec {}", child.id())?;
        }
        for (pid, name) in &children {
            writeln!(out, "child {pid} {name}")?;
        }
        writeln!(out, "end")?;
        out.flush()
    };
    report().map_err(|e| format!("writing the report: {e}"))?;
    drop(out);

    let seconds = args.seconds;
    let finish = move || {
        let _ = exit_rx.recv_timeout(Duration::from_secs(seconds));
        if let Some(mut child) = exec_child {
            let _ = child.kill();
            let _ = child.wait();
        }
        stop.stop.store(true, Ordering::Relaxed);
        *stop.lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        stop.cond.notify_all();
    };
    if args.zombie_leader {
        std::thread::Builder::new()
            .name("waiter".into())
            .stack_size(STACK_SIZE)
            .spawn(move || {
                finish();
                // The leader is gone: end the whole group from here.
                std::process::exit(0);
            })
            .map_err(|e| format!("cannot start the waiter: {e}"))?;
        // SAFETY: SYS_exit ends only the calling thread; nothing on this thread's stack is
        // used afterwards and the other threads own everything they touch (Arcs, channels).
        unsafe {
            libc::syscall(libc::SYS_exit, 0);
        }
    } else {
        finish();
    }
    Ok(())
}

/// About `rate` threads a second, each living about a millisecond, until stopped.
fn churn(rate: u32, stop: &Stop) {
    let per_batch = (rate / 100).max(1);
    let mut n: u64 = 0;
    let mut batch = Vec::with_capacity(per_batch as usize);
    while !stop.stop.load(Ordering::Relaxed) {
        for _ in 0..per_batch {
            let name = CString::new(format!("churn-{}", n % 1_000_000)).unwrap_or_default();
            n += 1;
            let spawned = std::thread::Builder::new()
                .stack_size(STACK_SIZE)
                .spawn(move || {
                    let _ = rustix::thread::set_name(&name);
                    std::thread::sleep(Duration::from_millis(1));
                });
            match spawned {
                Ok(h) => batch.push(h),
                // Out of threads for a moment: retry next batch.
                Err(_) => break,
            }
        }
        for h in batch.drain(..) {
            let _ = h.join();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `n` threads at a time, each spinning about 2 ms, joined and replaced, until stopped.
fn cycle(n: u32, stop: &Stop) {
    let mut batch = Vec::with_capacity(n as usize);
    while !stop.stop.load(Ordering::Relaxed) {
        for k in 0..n {
            let name = CString::new(format!("cycle-{k}")).unwrap_or_default();
            let spawned = std::thread::Builder::new()
                .stack_size(STACK_SIZE)
                .spawn(move || {
                    let _ = rustix::thread::set_name(&name);
                    let until = std::time::Instant::now() + Duration::from_millis(2);
                    let mut x: u64 = 1;
                    while std::time::Instant::now() < until {
                        x = std::hint::black_box(x.wrapping_mul(6364136223846793005));
                    }
                });
            match spawned {
                Ok(h) => batch.push(h),
                // Out of threads for a moment: join what started and go on.
                Err(_) => break,
            }
        }
        for h in batch.drain(..) {
            let _ = h.join();
        }
    }
}

/// The vfork child: shares our memory, so it only sleeps (raw libc calls on its own stack)
/// and exits once its parent is gone.
extern "C" fn vfork_child(arg: *mut libc::c_void) -> libc::c_int {
    let parent = arg as usize as libc::pid_t;
    // SAFETY: plain system calls with valid arguments; no allocation, no Rust runtime use.
    unsafe {
        libc::prctl(
            libc::PR_SET_NAME,
            c"vfork-child".as_ptr() as libc::c_ulong,
            0,
            0,
            0,
        );
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 200_000_000,
        };
        while libc::getppid() == parent {
            libc::nanosleep(&ts, std::ptr::null_mut());
        }
        libc::_exit(0)
    }
}

/// Blocks the calling thread in the kernel's vfork wait (state D) until the child exits.
fn wait_in_vfork() -> Result<(), String> {
    const CHILD_STACK: usize = 64 * 1024;
    let stack: &'static mut [u8] = vec![0u8; CHILD_STACK].leak();
    // SAFETY: one past the end of the leaked allocation, rounded down to 16 bytes.
    let top = unsafe { stack.as_mut_ptr().add(CHILD_STACK) };
    let top = (top as usize & !15) as *mut libc::c_void;
    let parent = std::process::id() as usize as *mut libc::c_void;
    // SAFETY: the child runs `vfork_child` on its own leaked stack and never returns into
    // our frames; CLONE_VFORK suspends this thread until it exits.
    let child = unsafe {
        libc::clone(
            vfork_child,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            parent,
        )
    };
    if child < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(child, &mut status, 0) };
    Ok(())
}

/// `--exec-hop PARENT K`: wait a moment, then exec ourselves as hop K+1, until PARENT is
/// no longer our parent.
fn exec_hop(parent: &str, k: u64) -> ExitCode {
    use std::os::unix::process::CommandExt;
    std::thread::sleep(Duration::from_millis(5));
    if rustix::process::getppid().map(|p| p.as_raw_nonzero().get().to_string())
        != Some(parent.to_owned())
    {
        return ExitCode::SUCCESS;
    }
    let Ok(exe) = std::env::current_exe() else {
        return ExitCode::from(2);
    };
    let e = std::process::Command::new(exe)
        .args(["--exec-hop", parent, &(k + 1).to_string()])
        .exec();
    eprintln!("threadtop-workload: exec: {e}");
    ExitCode::from(2)
}

/// The name each demo child gives itself; a `&'static CStr` so the child needs no memory
/// of its own to find it.
extern "C" fn demo_child(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: only async-signal-safe calls: the child may share our memory (CLONE_VM) or be
    // a copy of a multi-threaded process, where nothing else is safe.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, arg as libc::c_ulong, 0, 0, 0);
        // Dies with us, so a killed test leaves nothing behind.
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        );
        loop {
            libc::pause();
        }
    }
}

/// Children made by clone(2) with chosen flags: a plain fork, one sharing our address space
/// without being a thread (CLONE_VM), one sharing our fd table (CLONE_FILES), and one in a
/// new UTS namespace (needs CAP_SYS_ADMIN; skipped without). Returns (pid, name).
fn share_demo() -> Result<Vec<(i32, String)>, String> {
    const KINDS: [(&std::ffi::CStr, libc::c_int); 4] = [
        (c"fork-child", 0),
        (c"vm-child", libc::CLONE_VM),
        (c"files-child", libc::CLONE_FILES),
        (c"uts-child", libc::CLONE_NEWUTS),
    ];
    let mut out = Vec::new();
    for (name, flags) in KINDS {
        // Each child runs on its own stack, leaked: a CLONE_VM child keeps using it in our
        // address space for as long as we live.
        let stack: &'static mut [u8] = Box::leak(vec![0u8; 64 * 1024].into_boxed_slice());
        let top = stack.as_mut_ptr_range().end as usize & !15;
        // SAFETY: `demo_child` only makes async-signal-safe calls; the stack is ours forever.
        let pid = unsafe {
            libc::clone(
                demo_child,
                top as *mut libc::c_void,
                flags | libc::SIGCHLD,
                name.as_ptr() as *mut libc::c_void,
            )
        };
        if pid < 0 {
            let e = std::io::Error::last_os_error();
            if flags == libc::CLONE_NEWUTS && e.raw_os_error() == Some(libc::EPERM) {
                eprintln!(
                    "threadtop-workload: no uts-child (a new UTS namespace needs CAP_SYS_ADMIN)"
                );
                continue;
            }
            return Err(format!("clone for {name:?}: {e}"));
        }
        // Wait until it has named itself, so a reader never sees our name on it.
        let want = name.to_bytes();
        for _ in 0..200 {
            let comm = std::fs::read(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.strip_suffix(b"\n") == Some(want) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        out.push((pid, name.to_string_lossy().into_owned()));
    }
    Ok(out)
}

/// Starts the scheduling workloads `--ticker`, `--mover` and `--ping-pong` ask for.
fn sched_threads(
    (ticker, mover, ping_pong): (Option<usize>, Option<(usize, usize)>, bool),
    stop: &Arc<Stop>,
    ready: &mpsc::Sender<(i32, Vec<u8>)>,
) -> Result<(), String> {
    let start = |name: &'static std::ffi::CStr, body: Box<dyn FnOnce(&Stop) + Send>| {
        let (stop, ready) = (Arc::clone(stop), ready.clone());
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(name, &ready);
                drop(ready);
                body(&stop);
            })
            .map(drop)
            .map_err(|e| format!("cannot start {name:?}: {e}{LIMITS}"))
    };
    if let Some(cpu) = ticker {
        start(
            c"ticker",
            Box::new(move |stop| {
                pin_self(cpu);
                // Nice 19 against busy threads at nice 0: a weight of 15 against 1024 each,
                // so the scheduler makes it wait (tens of ms) instead of preempting for it.
                // SAFETY: setpriority on our own TID only reads its arguments.
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, 0, 19);
                }
                while !stop.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }),
        )?;
    }
    if let Some((a, b)) = mover {
        start(
            c"mover",
            Box::new(move |stop| {
                let mut on_a = true;
                while !stop.stop.load(Ordering::Relaxed) {
                    pin_self(if on_a { a } else { b });
                    on_a = !on_a;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }),
        )?;
    }
    if ping_pong {
        let (mut to_pong_r, mut to_pong_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
        let (mut to_ping_r, mut to_ping_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
        start(
            c"ping",
            Box::new(move |stop| {
                let mut b = [0u8; 1];
                while !stop.stop.load(Ordering::Relaxed) {
                    if to_pong_w.write_all(&b).is_err() || to_ping_r.read_exact(&mut b).is_err() {
                        return;
                    }
                }
                // Closing our ends ends pong too.
            }),
        )?;
        start(
            c"pong",
            Box::new(move |_| {
                let mut b = [0u8; 1];
                while to_pong_r.read_exact(&mut b).is_ok() {
                    if to_ping_w.write_all(&b).is_err() {
                        return;
                    }
                }
            }),
        )?;
    }
    Ok(())
}

/// Starts the pools of the "why" tests; returns the pipe pool's write ends, to be kept open.
fn why_pools(
    (lock, pipe, nap): (usize, usize, usize),
    stop: &Arc<Stop>,
    ready: &mpsc::Sender<(i32, Vec<u8>)>,
) -> Result<Vec<std::io::PipeWriter>, String> {
    let start = |name: String, body: Box<dyn FnOnce(&Stop) + Send>| {
        let (stop, ready) = (Arc::clone(stop), ready.clone());
        let name = CString::new(name).map_err(|e| e.to_string())?;
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                name_self(&name, &ready);
                drop(ready);
                body(&stop);
            })
            .map(drop)
            .map_err(|e| format!("cannot start a pool thread: {e}{LIMITS}"))
    };
    let shared = Arc::new(Mutex::new(0u64));
    for k in 0..lock {
        let shared = Arc::clone(&shared);
        start(
            format!("lock-{k}"),
            Box::new(move |stop| {
                while !stop.stop.load(Ordering::Relaxed) {
                    let mut n = shared.lock().unwrap_or_else(|e| e.into_inner());
                    let until = std::time::Instant::now() + Duration::from_millis(2);
                    while std::time::Instant::now() < until {
                        *n = std::hint::black_box(n.wrapping_add(1));
                    }
                    drop(n);
                    // A little work outside the lock (0.1 ms), as a real task would have.
                    let until = std::time::Instant::now() + Duration::from_micros(100);
                    while std::time::Instant::now() < until {
                        std::hint::spin_loop();
                    }
                }
            }),
        )?;
    }
    let mut writers = Vec::new();
    for k in 0..pipe {
        let (mut r, w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
        writers.push(w);
        start(
            format!("pipe-{k}"),
            Box::new(move |_| {
                let mut b = [0u8; 1];
                while matches!(r.read(&mut b), Ok(n) if n > 0) {}
            }),
        )?;
    }
    for k in 0..nap {
        start(
            format!("nap-{k}"),
            Box::new(move |stop| {
                while !stop.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }),
        )?;
    }
    Ok(writers)
}

fn pin_self(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
        eprintln!("threadtop-workload: pinning to CPU {cpu}: {e}");
    }
}

fn main() -> ExitCode {
    // Names may be any bytes: never `std::env::args()`, which panics on invalid UTF-8.
    let argv: Vec<OsString> = std::env::args_os().collect();
    if let [_, hop, parent, k] = argv.as_slice()
        && hop == "--exec-hop"
        && let (Some(parent), Some(k)) = (parent.to_str(), k.to_str())
    {
        return exec_hop(parent, k.parse().unwrap_or(0));
    }
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("threadtop-workload: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("threadtop-workload: {msg}");
            ExitCode::from(2)
        }
    }
}
