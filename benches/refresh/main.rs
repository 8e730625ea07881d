//! The refresh benchmark: `cargo bench --bench refresh` (options after `--`:
//! `--sizes 1000,10000,50000`, `--rounds N`, `--window SECS`, `--quick` to skip htop and
//! the idle run, `--raise-pid-max` to lift pid_max for the run when root, `--baseline PATH`
//! to measure another threadtop binary live in the same run, e.g. the previous version;
//! `--workloads sleeping,waking` to choose the workloads, both by default; `--events MODE`
//! passed to the live threadtop, e.g. `off` for the /proc path when root).
//!
//! For each size and workload it starts its own workload of N threads (one busy, the rest
//! sleeping; in the "waking" workload each sleeping thread wakes every 100 ms and sleeps
//! again, as the workers of a pool and timer threads do, which the "sleeping" one's never
//! do),
//! spread over `threadtop-workload` processes of at most 10,000 threads each (each std
//! thread takes about four memory maps and vm.max_map_count, 65,530 by default, is per
//! process), then measures in the same run, one after another (never concurrently):
//! - in-process, CPU time of this thread per refresh (median of the rounds): the reference
//!   scanner (open+read+close of every `stat`), threadtop's collector (stat + schedstat of
//!   every task, status for the rows on screen), and threadtop's whole tick (collect +
//!   model + rows + render into an off-screen 200x50 buffer);
//! - the real `threadtop` binary and, when installed, `htop` on a 200x50 pseudo-terminal
//!   at a 1 s refresh: CPU of the whole process per refresh, time to the first full frame,
//!   bytes written to the terminal per second, peak and current RSS. The reference scanner
//!   runs once a second beside each (in this process, half a second out of step with the
//!   window's seconds), and the monitor's ratio is to that reference: same seconds, same
//!   workload, same cadence. The in-process reference before it is printed too.
//!
//! Then the same live figures for an idle machine (no workload). Timings are printed, never
//! asserted: this is a measurement, not a test.

#[path = "../../tests/support/mod.rs"]
mod support;

mod live_run;
#[path = "../../examples/common/measure.rs"]
mod measure;
mod reference_scanner;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use threadtop::app::App;
use threadtop::collect::Scanner;
use threadtop::collect::task_iter::{Kind, TaskIter};
use threadtop::model::ViewOptions;
use threadtop::ui::theme::Theme;

use live_run::{COLS, Live, ROWS};
use measure::{median, thread_cpu_ns};
use reference_scanner::Reference;
use support::{THREADTOP, WORKLOAD};

struct Opts {
    sizes: Vec<usize>,
    rounds: usize,
    window: Duration,
    /// Skip htop and the idle run: for quick iterations on threadtop alone.
    quick: bool,
    /// When root: raise /proc/sys/kernel/pid_max for the run if a size needs more PIDs,
    /// and put the old value back at the end (also on an error or ctrl-c).
    raise_pid_max: bool,
    /// Another threadtop binary measured live too (same arguments), e.g. the previous one.
    baseline: Option<String>,
    /// Wake periods of the workloads measured: `None` never wakes ("sleeping").
    workloads: Vec<Option<u64>>,
    /// `--events` for the live threadtop (and baseline): `None` leaves its default (auto).
    events: Option<String>,
}

/// The "waking" workload's period: a pool's workers and timers wake about this often.
const WAKE_MS: u64 = 100;

fn workload_name(wake: Option<u64>) -> &'static str {
    if wake.is_some() { "waking" } else { "sleeping" }
}

fn opts() -> Opts {
    let mut o = Opts {
        sizes: vec![1000, 10_000, 50_000],
        rounds: 7,
        window: Duration::from_secs(10),
        quick: false,
        raise_pid_max: false,
        baseline: None,
        workloads: vec![None, Some(WAKE_MS)],
        events: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sizes" => {
                o.sizes = it
                    .next()
                    .map(|v| v.split(',').filter_map(|s| s.parse().ok()).collect())
                    .unwrap_or_default()
            }
            "--rounds" => o.rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(7),
            "--window" => {
                o.window = Duration::from_secs(it.next().and_then(|v| v.parse().ok()).unwrap_or(10))
            }
            "--quick" => o.quick = true,
            "--raise-pid-max" => o.raise_pid_max = true,
            "--baseline" => o.baseline = it.next().cloned(),
            "--events" => o.events = it.next().cloned(),
            "--workloads" => {
                o.workloads = it
                    .next()
                    .map(|v| {
                        v.split(',')
                            .filter_map(|w| match w {
                                "sleeping" => Some(None),
                                "waking" => Some(Some(WAKE_MS)),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            }
            // `cargo bench` passes `--bench`; anything else unknown is ignored too.
            _ => {}
        }
    }
    o
}

/// Threads per workload process: each std thread takes about four memory maps, and
/// vm.max_map_count (65,530 by default) is per process.
const THREADS_PER_PROCESS: usize = 10_000;

/// The workload processes of one size. Dropping it ends them (their stdin closes; with
/// `--exit-on-eof` they exit, as they do if the benchmark dies).
struct Workload(Vec<Child>);

impl Drop for Workload {
    fn drop(&mut self) {
        for c in &mut self.0 {
            drop(c.stdin.take());
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `threads` threads in all (one busy, the rest sleeping, counting each process's
/// main thread) over as many processes as `THREADS_PER_PROCESS` needs. `Err` carries the
/// workload's own explanation (e.g. which limit stopped it).
fn start_workload(threads: usize, wake: Option<u64>) -> Result<Workload, String> {
    let procs = threads.div_ceil(THREADS_PER_PROCESS).max(1);
    let mut w = Workload(Vec::with_capacity(procs));
    let mut left = threads;
    for i in 0..procs {
        let here = left.div_ceil(procs - i);
        left -= here;
        // Each process's main thread counts; the first one also runs the busy thread.
        let busy = usize::from(i == 0);
        let sleep = here.saturating_sub(1 + busy).to_string();
        w.0.push(start_workload_process(busy, &sleep, wake)?);
    }
    Ok(w)
}

fn start_workload_process(busy: usize, sleep: &str, wake: Option<u64>) -> Result<Child, String> {
    let mut child = Command::new(&*WORKLOAD)
        .args(
            wake.into_iter()
                .flat_map(|ms| ["--wake-every".to_owned(), ms.to_string()]),
        )
        .args([
            "--name",
            "ttbench",
            "--busy",
            &busy.to_string(),
            "--sleep",
            sleep,
        ])
        .args(["--seconds", "900", "--exit-on-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", *WORKLOAD))?;
    let Some(stdout) = child.stdout.take() else {
        return Err("no stdout".into());
    };
    let ended = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l == "end");
    if !ended {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = child.kill();
        let _ = child.wait();
        return Err(err.trim().to_owned());
    }
    Ok(child)
}

const PID_MAX: &str = "/proc/sys/kernel/pid_max";

fn read_number(path: &str) -> Option<usize> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// pid_max as it was before the benchmark raised it; put back when dropped, and by the
/// signal handler on ctrl-c (SIGINT, SIGTERM, SIGHUP).
struct PidMaxGuard {
    original: usize,
}

impl PidMaxGuard {
    /// Raises pid_max to `wanted` if it is lower. `Ok(None)`: nothing to do.
    fn raise(wanted: usize) -> Result<Option<PidMaxGuard>, String> {
        let original = read_number(PID_MAX).ok_or_else(|| format!("cannot read {PID_MAX}"))?;
        if original >= wanted {
            return Ok(None);
        }
        // Restored by the handler if the run is interrupted; registered before the write.
        restore_pid_max_on_signal(original);
        std::fs::write(PID_MAX, wanted.to_string())
            .map_err(|e| format!("writing {wanted} to {PID_MAX}: {e}"))?;
        println!("note: {PID_MAX} raised from {original} to {wanted} for this run");
        Ok(Some(PidMaxGuard { original }))
    }
}

impl Drop for PidMaxGuard {
    fn drop(&mut self) {
        match std::fs::write(PID_MAX, self.original.to_string()) {
            Ok(()) => println!("note: {PID_MAX} restored to {}", self.original),
            Err(e) => println!(
                "WARNING: could not restore {PID_MAX} to {}: {e}",
                self.original
            ),
        }
    }
}

fn restore_pid_max_on_signal(original: usize) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let _ = std::fs::write(PID_MAX, original.to_string());
            eprintln!("\ninterrupted: {PID_MAX} restored to {original}");
            // The workloads exit on their own when their stdin closes with us.
            std::process::exit(128 + sig);
        }
    });
}

/// PIDs a size needs: its threads, what already runs, and room for the monitors' own.
fn pids_needed(threads: usize) -> usize {
    let running = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().nth(3)?.split_once('/')?.1.parse().ok())
        .unwrap_or(0usize);
    threads + running + 1_000
}

/// For sizes pid_max cannot hold: raises it when asked to (and allowed), else says which
/// limit stops the size and which flag lifts it.
fn check_pid_max(sizes: &[usize], raise: bool) -> Option<PidMaxGuard> {
    let biggest = sizes.iter().copied().max()?;
    let pid_max = read_number(PID_MAX)?;
    // PIDs are handed out in turn up to pid_max, wrapping over the ones still in use:
    // the threads need that many free at once, with headroom for what the machine runs.
    let needed = pids_needed(biggest);
    if needed <= pid_max {
        return None;
    }
    let root = rustix::process::geteuid().is_root();
    if !raise || !root {
        println!(
            "note: {PID_MAX} is {pid_max}: {biggest} threads need about {needed} PIDs, so that size \
             will probably not start. {}",
            if root {
                "Pass --raise-pid-max to raise it for the run (restored afterwards)."
            } else {
                "As root, --raise-pid-max raises it for the run (restored afterwards)."
            }
        );
        return None;
    }
    // Twice what is needed, rounded up to a power of two (the kernel's own default scale).
    let wanted = (needed * 2).next_power_of_two().min(4 * 1024 * 1024);
    match PidMaxGuard::raise(wanted) {
        Ok(g) => g,
        Err(e) => {
            println!("note: could not raise pid_max: {e}");
            None
        }
    }
}

struct InProcess {
    tasks: usize,
    reference_ms: f64,
    collector_ms: f64,
    /// The collector with no rows on screen: stat + schedstat only.
    bare_ms: f64,
    /// How many tasks the screen's plan asked `status` for.
    detail_tasks: usize,
    tick_ms: f64,
    first_scan_ms: f64,
    first_tick_ms: f64,
    /// The full scan after the quick first pass (opens every schedstat).
    baseline_scan_ms: f64,
    kept_fds: usize,
    /// The reference and the collector 1 s after their previous scan, as the live
    /// monitors run (caches cold), median of 3: the rounds above are 200 ms apart.
    reference_cold_ms: f64,
    collector_cold_ms: f64,
}

fn in_process(rounds: usize) -> InProcess {
    let mut reference = Reference::new();
    let mut term = match Terminal::new(TestBackend::new(COLS, ROWS)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    // The whole tick, first time: what the user waits for before seeing rows.
    // As the live collector does: a quick pass over `stat` for the first frame, then the
    // full scan that the first rates are computed against.
    let c0 = thread_cpu_ns();
    let mut scanner = Scanner::new("/proc");
    let first = scanner.scan_first_pass(&app.detail_plan());
    let first_scan_ms = (thread_cpu_ns() - c0) as f64 / 1e6;
    app.on_snapshot(Arc::new(first));
    let _ = term.draw(|f| app.draw(f, Theme::mono()));
    let first_tick_ms = (thread_cpu_ns() - c0) as f64 / 1e6;
    let c0 = thread_cpu_ns();
    let baseline = scanner.scan(&app.detail_plan());
    let baseline_scan_ms = (thread_cpu_ns() - c0) as f64 / 1e6;
    app.on_snapshot(Arc::new(baseline));

    let (mut r, mut c, mut t, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut detail_tasks = 0;
    let mut tasks = 0;
    for _ in 0..rounds {
        std::thread::sleep(Duration::from_millis(50));
        let c0 = thread_cpu_ns();
        tasks = reference.scan().0;
        r.push((thread_cpu_ns() - c0) as f64 / 1e6);

        std::thread::sleep(Duration::from_millis(50));
        let plan = app.detail_plan();
        let c0 = thread_cpu_ns();
        let snap = scanner.scan(&plan);
        c.push((thread_cpu_ns() - c0) as f64 / 1e6);
        detail_tasks = snap.tasks().filter(|t| t.detail().is_some()).count();
        drop(snap);

        std::thread::sleep(Duration::from_millis(50));
        let c0 = thread_cpu_ns();
        let snap = scanner.scan(&threadtop::collect::DetailPlan::default());
        b.push((thread_cpu_ns() - c0) as f64 / 1e6);
        drop(snap);

        std::thread::sleep(Duration::from_millis(50));
        let plan = app.detail_plan();
        let c0 = thread_cpu_ns();
        let snap = scanner.scan(&plan);
        app.on_snapshot(Arc::new(snap));
        let _ = term.draw(|f| app.draw(f, Theme::mono()));
        t.push((thread_cpu_ns() - c0) as f64 / 1e6);
    }
    let (mut rc, mut cc) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        std::thread::sleep(Duration::from_secs(1));
        let c0 = thread_cpu_ns();
        reference.scan();
        rc.push((thread_cpu_ns() - c0) as f64 / 1e6);
        let plan = app.detail_plan();
        std::thread::sleep(Duration::from_secs(1));
        let c0 = thread_cpu_ns();
        let snap = scanner.scan(&plan);
        cc.push((thread_cpu_ns() - c0) as f64 / 1e6);
        app.on_snapshot(Arc::new(snap));
    }
    InProcess {
        reference_cold_ms: median(&mut rc),
        collector_cold_ms: median(&mut cc),
        tasks,
        reference_ms: median(&mut r),
        collector_ms: median(&mut c),
        bare_ms: median(&mut b),
        detail_tasks,
        tick_ms: median(&mut t),
        first_scan_ms,
        first_tick_ms,
        baseline_scan_ms,
        kept_fds: scanner.kept_descriptors(),
    }
}

/// The privileged path: the scanner with a BPF program reading the tasks (`kind`: the
/// walk, the live display's default, or iter/task, its fall-back), CPU time per scan
/// (median of the rounds, 200 ms apart, the same plan as the collector's: no rows on
/// screen), and the tasks it read. Measured on its own, before the /proc scanner fills
/// the descriptor table. `Err`: why it cannot run here.
fn iter_in_process(rounds: usize, kind: Kind) -> Result<(f64, usize), String> {
    let mut scanner = Scanner::new("/proc").with_loaded_task_iter(TaskIter::load_only(Some(kind)));
    let plan = threadtop::collect::DetailPlan::default();
    let first = scanner.scan(&plan);
    if let Some(why) = first.task_source.why_not() {
        return Err(why.to_owned());
    }
    drop(first);
    let mut v = Vec::new();
    let mut tasks = 0;
    for _ in 0..rounds {
        std::thread::sleep(Duration::from_millis(200));
        let c0 = thread_cpu_ns();
        let snap = scanner.scan(&plan);
        v.push((thread_cpu_ns() - c0) as f64 / 1e6);
        tasks = snap.task_count();
        if let Some(why) = snap.task_source.why_not() {
            return Err(why.to_owned());
        }
    }
    Ok((median(&mut v), tasks))
}

/// threadtop's header line reads "Tasks N (...": the first frame counts as full once N
/// covers the workload.
fn threadtop_ready(min_tasks: usize) -> impl Fn(&str) -> bool {
    move |screen| {
        screen
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("Tasks "))
            .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
            .any(|n| n >= min_tasks)
    }
}

/// Whether threadtop's start-up is over: the scheduling events, which load after the
/// first frame (seconds under load), are no longer "loading" in the header. Until then the
/// screen is still changing over from /proc's figures to theirs, once.
fn threadtop_settled(screen: &str) -> bool {
    !screen.contains("events: loading")
}

fn htop_path() -> Option<String> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("htop"))
            .find(|f| f.is_file())
            .map(|f| f.to_string_lossy().into_owned())
    })
}

/// The live threadtop's arguments: a 1 s refresh, and `--events` when asked.
fn threadtop_args(o: &Opts) -> Vec<&str> {
    let mut a = vec!["-d", "1"];
    if let Some(e) = &o.events {
        a.extend(["--events", e.as_str()]);
    }
    a
}

fn live_threadtop(min_tasks: usize, o: &Opts) -> Result<Live, String> {
    live_run::measure(
        THREADTOP,
        &threadtop_args(o),
        &[],
        threadtop_ready(min_tasks),
        threadtop_settled,
        Duration::from_secs(3),
        o.window,
    )
}

fn live_htop(htop: &str, o: &Opts) -> Result<Live, String> {
    // A fresh HOME: htop's defaults (user threads shown, no tree), not someone's htoprc.
    let home = std::env::temp_dir().join(format!("ttbench-htop-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    let home_s = home.to_string_lossy().into_owned();
    let r = live_run::measure(
        htop,
        &["-d", "10"],
        &[("HOME", &home_s), ("XDG_CONFIG_HOME", &home_s)],
        |s| s.contains("Tasks:"),
        |_| true,
        Duration::from_secs(3),
        o.window,
    );
    let _ = std::fs::remove_dir_all(&home);
    r
}

/// The 1, 5 and 15 minute load averages: the machine is shared, so every figure says how
/// busy it was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_live(name: &str, l: &Result<Live, String>) {
    match l {
        Ok(l) => println!(
            "  {name:<9} {:>7.2} ms CPU/refresh (reference beside it {:.2} ms) | first full frame {} | key to screen {} | {:>7.0} B/s to the terminal ({:.0} B/refresh) | RSS peak {:.1} MiB, {:.1} -> {:.1} MiB over the window",
            l.cpu_ms_per_refresh,
            l.reference_ms,
            l.first_frame_ms
                .map_or("never".into(), |ms| format!("{ms:.0} ms")),
            l.key_ms.map_or("never".into(), |ms| format!("{ms:.0} ms")),
            l.bytes_per_sec,
            l.bytes_per_sec,
            mib(l.hwm_kib),
            mib(l.rss_start_kib),
            mib(l.rss_end_kib),
        ),
        Err(e) => println!("  {name:<9} not measured: {e}"),
    }
}

fn main() {
    let o = opts();
    let htop = htop_path().filter(|_| !o.quick);
    println!(
        "threadtop refresh benchmark: {} CPUs, terminal {COLS}x{ROWS}, 1 s refresh, RLIMIT_NOFILE {:?}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current,
    );
    if let Some(e) = &o.events {
        println!("live threadtop runs with --events {e}");
    }
    if htop.is_none() && !o.quick {
        println!("note: htop is not installed: its columns are skipped (apt-get install htop)");
    }
    let pid_max_guard = check_pid_max(&o.sizes, o.raise_pid_max);
    let mut summary = Vec::new();
    let pairs: Vec<(usize, Option<u64>)> = o
        .sizes
        .iter()
        .flat_map(|&n| o.workloads.iter().map(move |&w| (n, w)))
        .collect();
    for (n, wake) in pairs {
        let kind = workload_name(wake);
        println!(
            "\n== {n} workload threads, {kind}{} == (load average before: {})",
            wake.map_or(String::new(), |ms| format!(" every {ms} ms")),
            loadavg()
        );
        let workload = match start_workload(n, wake) {
            Ok(w) => w,
            Err(e) => {
                println!("  could not start {n} threads, size skipped. The workload said:\n  {e}");
                continue;
            }
        };
        let walk = iter_in_process(o.rounds, Kind::Walk);
        let iter = iter_in_process(o.rounds, Kind::IterTask);
        let ip = in_process(o.rounds);
        let per = |ms: f64| ms * 1e3 / ip.tasks.max(1) as f64;
        println!(
            "  in-process, {} tasks on the machine, median of {} rounds (CPU time per refresh):",
            ip.tasks, o.rounds
        );
        println!(
            "  reference {:>7.2} ms ({:.2} µs/task)  open+read+close of every stat",
            ip.reference_ms,
            per(ip.reference_ms)
        );
        println!(
            "  collector {:>7.2} ms ({:.2} µs/task)  ratio to reference {:.2}  ({} descriptors kept)",
            ip.collector_ms,
            per(ip.collector_ms),
            ip.collector_ms / ip.reference_ms,
            ip.kept_fds
        );
        println!(
            "  bare      {:>7.2} ms ({:.2} µs/task)  ratio to reference {:.2}  collector with no status reads (screen plan asked {} tasks)",
            ip.bare_ms,
            per(ip.bare_ms),
            ip.bare_ms / ip.reference_ms,
            ip.detail_tasks
        );
        println!(
            "  tick      {:>7.2} ms ({:.2} µs/task)  ratio to reference {:.2}  collect+model+render",
            ip.tick_ms,
            per(ip.tick_ms),
            ip.tick_ms / ip.reference_ms
        );
        println!(
            "  1 s apart: reference {:.2} ms, collector {:.2} ms, ratio {:.2}",
            ip.reference_cold_ms,
            ip.collector_cold_ms,
            ip.collector_cold_ms / ip.reference_cold_ms
        );
        println!(
            "  first pass (stat only) {:.1} ms, first tick (first pass+model+render) {:.1} ms, then the first full scan {:.1} ms",
            ip.first_scan_ms, ip.first_tick_ms, ip.baseline_scan_ms
        );
        for (label, r) in [("walk", &walk), ("iter/task", &iter)] {
            match r {
                Ok((ms, tasks)) => println!(
                    "  {label:<9} {ms:>7.2} ms ({:.2} µs/task, {tasks} tasks)  ratio to reference {:.3}, to the /proc collector {:.3}  (scanner with the BPF {label}, leaders from /proc)",
                    ms * 1e3 / (*tasks).max(1) as f64,
                    ms / ip.reference_ms,
                    ms / ip.collector_ms
                ),
                Err(why) => println!("  {label:<9} not measured: {why}"),
            }
        }
        let tt = live_threadtop(n, &o);
        print_live("threadtop", &tt);
        let ht = htop.as_deref().map(|h| live_htop(h, &o));
        match &ht {
            Some(h) => print_live("htop", h),
            None if o.quick => println!("  htop      skipped (--quick)"),
            None => println!("  htop      skipped: not installed"),
        }
        if let (Ok(t), Some(Ok(h))) = (&tt, &ht) {
            println!(
                "  threadtop/htop CPU ratio {:.2}, bytes ratio {:.2}",
                t.cpu_ms_per_refresh / h.cpu_ms_per_refresh,
                t.bytes_per_sec / h.bytes_per_sec
            );
        }
        if let Ok(t) = &tt {
            println!(
                "  threadtop whole process / reference scanner in the same window: {:.2} (/ the in-process rounds' reference before it: {:.2})",
                t.cpu_ms_per_refresh / t.reference_ms,
                t.cpu_ms_per_refresh / ip.reference_ms
            );
        }
        if let Some(Ok(h)) = &ht {
            println!(
                "  htop whole process / reference scanner in the same window: {:.2}",
                h.cpu_ms_per_refresh / h.reference_ms
            );
        }
        if let Some(b) = &o.baseline {
            let bl = live_run::measure(
                b,
                &threadtop_args(&o),
                &[],
                threadtop_ready(n),
                threadtop_settled,
                Duration::from_secs(3),
                o.window,
            );
            print_live("baseline", &bl);
            if let Ok(l) = &bl {
                println!(
                    "  baseline whole process / reference scanner in the same window: {:.2}{}",
                    l.cpu_ms_per_refresh / l.reference_ms,
                    tt.as_ref().map_or(String::new(), |t| format!(
                        "; threadtop / baseline {:.2}",
                        t.cpu_ms_per_refresh / l.cpu_ms_per_refresh
                    ))
                );
            }
        }
        let load = loadavg();
        println!("  load average after: {load}");
        let ratio = |r: &Result<(f64, usize), String>| {
            r.as_ref().map_or("-".to_owned(), |(ms, _)| {
                format!("{:.3}", ms / ip.reference_ms)
            })
        };
        let iter_ratio = format!("{} | {}", ratio(&walk), ratio(&iter));
        summary.push((n, kind, load, ip, tt, ht, iter_ratio));
        drop(workload);
    }
    drop(pid_max_guard);

    if !o.quick {
        println!("\n== idle machine (no workload) ==");
        let idle = live_threadtop(1, &o);
        print_live("threadtop", &idle);
        if let Ok(l) = &idle {
            println!(
                "  = {:.3} % of one CPU at 1 s refresh",
                l.cpu_ms_per_refresh / 10.0
            );
        }
    }

    println!(
        "\n| threads | workload | load after | tasks | µs/task collector | µs/task tick | collector / ref | walk scan / ref | iter/task scan / ref | threadtop process / ref beside it | process / ref before it | threadtop / htop CPU | first frame | key to screen | RSS peak | B/s threadtop / htop |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (n, kind, load, ip, tt, ht, iter_ratio) in &summary {
        let per = |ms: f64| ms * 1e3 / ip.tasks.max(1) as f64;
        let (proc_ratio, ff, key, rss, bytes_t) = match tt {
            Ok(t) => (
                format!(
                    "{:.2} | {:.2}",
                    t.cpu_ms_per_refresh / t.reference_ms,
                    t.cpu_ms_per_refresh / ip.reference_ms
                ),
                t.first_frame_ms
                    .map_or("-".into(), |f| format!("{f:.0} ms")),
                t.key_ms.map_or("-".into(), |f| format!("{f:.0} ms")),
                format!("{:.1} MiB", mib(t.hwm_kib)),
                format!("{:.0}", t.bytes_per_sec),
            ),
            Err(_) => (
                "- | -".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ),
        };
        let (htop_ratio, bytes_h) = match (tt, ht) {
            (Ok(t), Some(Ok(h))) => (
                format!("{:.2}", t.cpu_ms_per_refresh / h.cpu_ms_per_refresh),
                format!("{:.0}", h.bytes_per_sec),
            ),
            _ => ("-".into(), "-".into()),
        };
        println!(
            "| {n} | {kind} | {load} | {} | {:.2} | {:.2} | {:.2} | {iter_ratio} | {proc_ratio} | {htop_ratio} | {ff} | {key} | {rss} | {bytes_t} / {bytes_h} |",
            ip.tasks,
            per(ip.collector_ms),
            per(ip.tick_ms),
            ip.collector_ms / ip.reference_ms,
        );
    }
}
