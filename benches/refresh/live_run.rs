//! Runs a monitor (threadtop or htop) on a 200x50 pseudo-terminal and measures it from
//! outside, as a user's machine would see it: time until its first full frame, CPU time of
//! its whole process per refresh, bytes written to the terminal per second, and RSS.
//!
//! CPU time is the sum of `run_ns` in /proc/PID/task/*/schedstat (exact, in ns) read at
//! the start and end of a window that begins after a warm-up (and, for threadtop, once
//! its scheduling events are no longer loading), so start-up cost is not spread over the
//! refreshes. Both monitors refresh once a second; refreshes = window
//! seconds.
//!
//! The reference scanner runs here too, once a second through the window, half a second
//! after each window second begins: its median is the denominator of the monitor's
//! ratio. Measured in the same seconds over the same workload, the ratio no longer moves
//! with the machine's load between the in-process rounds and the live run: in one run the
//! reference took 12.82 ms at 200 ms apart and 9.95 ms at 1 s apart, minutes apart.

use std::time::{Duration, Instant};

use crate::measure::{median, thread_cpu_ns};
use crate::reference_scanner::Reference;
use crate::support::Pty;

pub const COLS: u16 = 200;
pub const ROWS: u16 = 50;

pub struct Live {
    /// From spawn until `ready` held on the emulated screen (polled every 2 ms).
    pub first_frame_ms: Option<f64>,
    pub cpu_ms_per_refresh: f64,
    pub bytes_per_sec: f64,
    pub hwm_kib: u64,
    pub rss_start_kib: u64,
    pub rss_end_kib: u64,
    /// From a key press (`?` to open help, then Esc to close it, five in all) until the
    /// screen changed: the median. After the window, with the monitor at its steady state.
    pub key_ms: Option<f64>,
    /// The reference scanner's CPU time a scan (ms), median of its scans once a second
    /// through this window, run by the benchmark beside the monitor.
    pub reference_ms: f64,
}

pub fn measure(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    ready: impl Fn(&str) -> bool,
    settled: impl Fn(&str) -> bool,
    warmup: Duration,
    window: Duration,
) -> Result<Live, String> {
    let start = Instant::now();
    let pty = Pty::spawn(program, args, env, COLS, ROWS).map_err(|e| format!("{program}: {e}"))?;
    let pid = pty.pid();
    let mut first_frame_ms = None;
    while start.elapsed() < Duration::from_secs(60) {
        if ready(&pty.screen_text()) {
            first_frame_ms = Some(start.elapsed().as_secs_f64() * 1e3);
            break;
        }
        if pty.exit_status().is_some() {
            return Err(format!("{program} exited:\n{}", pty.screen_text()));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if let Some(left) = warmup.checked_sub(start.elapsed()) {
        std::thread::sleep(left);
    }
    if !settled(&pty.screen_text()) {
        // Start-up that outlasts the warm-up is start-up too: the events load in the
        // background after the first frame, slower under load, and the screen changes
        // over to their figures once. The window waits for it, then two refreshes more.
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) && !settled(&pty.screen_text()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    let cpu0 = cpu_ns(pid);
    let bytes0 = pty.raw_output().len();
    let rss_start_kib = status_kib(pid, "VmRSS:");
    let t0 = Instant::now();
    let reference_ms = reference_through(t0, window);
    let cpu1 = cpu_ns(pid);
    let bytes1 = pty.raw_output().len();
    let secs = t0.elapsed().as_secs_f64();
    let rss_end_kib = status_kib(pid, "VmRSS:");
    let hwm_kib = status_kib(pid, "VmHWM:");
    if pty.exit_status().is_some() {
        return Err(format!("{program} exited during the run"));
    }
    let refreshes = secs.round().max(1.0);
    let key_ms = key_latency(&pty);
    Ok(Live {
        first_frame_ms,
        cpu_ms_per_refresh: cpu1.saturating_sub(cpu0) as f64 / 1e6 / refreshes,
        bytes_per_sec: bytes1.saturating_sub(bytes0) as f64 / secs,
        hwm_kib,
        rss_start_kib,
        rss_end_kib,
        key_ms,
        reference_ms,
    })
}

/// Runs the reference scanner once a second from `t0` + 0.5 s until `window` is over
/// (one scan before, not counted: it opens the directories it keeps), and returns the
/// median of its CPU times a scan, in ms.
fn reference_through(t0: Instant, window: Duration) -> f64 {
    let mut reference = Reference::new();
    reference.scan();
    let mut times = Vec::new();
    let mut next = t0 + Duration::from_millis(500);
    while next < t0 + window {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let c0 = thread_cpu_ns();
        reference.scan();
        times.push((thread_cpu_ns() - c0) as f64 / 1e6);
        next += Duration::from_secs(1);
    }
    std::thread::sleep((t0 + window).saturating_duration_since(Instant::now()));
    median(&mut times)
}

/// Median time from a key to a changed screen over five presses (help open, closed, ...).
/// A refresh landing in the interval would end it early; the median keeps one such out.
fn key_latency(pty: &Pty) -> Option<f64> {
    let mut times = Vec::new();
    for i in 0..5 {
        std::thread::sleep(Duration::from_millis(300));
        let before = pty.screen_text();
        let t0 = Instant::now();
        pty.send_key(if i % 2 == 0 { "?" } else { "Esc" });
        while t0.elapsed() < Duration::from_secs(10) {
            if pty.screen_text() != before {
                times.push(t0.elapsed().as_secs_f64() * 1e3);
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied()
}

/// Sum of every thread's exact run time. Threads that exited during the window would be
/// missed, but neither monitor starts or ends threads while it runs.
fn cpu_ns(pid: u32) -> u64 {
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}
