//! How big recordings are: records a workload of mostly sleeping threads (and a few busy)
//! for a while, and prints bytes per tick and per thread per tick for keyframes and deltas,
//! and what a day of 1 s ticks would take.
//!
//!     cargo bench --bench record [-- THREADS TICKS INTERVAL_SECS]   (default 2000 30 1)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use threadtop::collect::{DetailPlan, Scanner, now_boot_ns};
use threadtop::record::file::KEYFRAME_EVERY;
use threadtop::record::{Header, Recorder, Recording};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let threads: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let ticks: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let interval = Duration::from_secs_f64(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1.0));
    let busy = 4.min(threads);
    // A workspace member's binary, next to this bench's deps/ directory.
    let exe = std::env::current_exe().expect("the bench's own path");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>/deps")
        .join("threadtop-workload");
    let mut workload = Command::new(bin)
        .args([
            "--name",
            "rec-bench",
            "--busy",
            &busy.to_string(),
            "--sleep",
        ])
        .arg((threads - busy).to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the workload");
    let out = workload.stdout.take().expect("piped");
    for line in BufReader::new(out).lines() {
        if line.map_or(true, |l| l == "end") {
            break;
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.tt");
    let header = Header {
        start_unix_ns: 0,
        start_boot_ns: now_boot_ns(),
        interval_ns: interval.as_nanos() as u64,
        hostname: "bench".into(),
    };
    let mut rec = Recorder::create(&path, &header).expect("create");
    let mut scanner = Scanner::new("/proc");
    let mut tasks = 0;
    let started = Instant::now();
    for i in 0..ticks {
        let t0 = Instant::now();
        let snap = scanner.scan(&DetailPlan::default());
        tasks = snap.task_count();
        rec.write(snap).expect("write");
        if i + 1 < ticks {
            std::thread::sleep(interval.saturating_sub(t0.elapsed()));
        }
    }
    let _ = workload.kill();
    let _ = workload.wait();
    let file = std::fs::read(&path).expect("read back");
    let recording = Recording::parse(file.clone()).expect("parse");
    // Per-tick sizes from the record frames: [len][crc][payload].
    let mut sizes = Vec::new();
    let mut pos = 12;
    while pos + 8 <= file.len() {
        let len =
            u32::from_le_bytes([file[pos], file[pos + 1], file[pos + 2], file[pos + 3]]) as usize;
        sizes.push(len + 8);
        pos += 8 + len;
    }
    let ticks_sizes = &sizes[1..]; // the first record is the header
    let key = ticks_sizes[0] as f64;
    let deltas: Vec<f64> = ticks_sizes[1..].iter().map(|s| *s as f64).collect();
    let delta = deltas.iter().sum::<f64>() / deltas.len().max(1) as f64;
    let per_day_ticks = 86_400.0 / interval.as_secs_f64();
    let keyframes = per_day_ticks / KEYFRAME_EVERY as f64;
    let day = keyframes * key + (per_day_ticks - keyframes) * delta;
    println!(
        "record benchmark: {tasks} tasks on the machine ({threads} workload threads, {busy} busy), {} ticks every {:?} in {:.1?}",
        recording.ticks.len(),
        interval,
        started.elapsed()
    );
    println!(
        "  keyframe: {key:.0} bytes ({:.2} bytes per task)",
        key / tasks as f64
    );
    println!(
        "  delta:    {delta:.0} bytes per tick ({:.3} bytes per task per tick)",
        delta / tasks as f64
    );
    println!(
        "  a day of ticks every {:?} on this machine: {:.1} MiB",
        interval,
        day / (1024.0 * 1024.0)
    );
    // The same per-task costs on a machine of 2,000 threads, the figure README.md states.
    let per_task_day =
        keyframes * key / tasks as f64 + (per_day_ticks - keyframes) * delta / tasks as f64;
    println!(
        "  a day of ticks every {:?} with 2,000 threads: {:.1} MiB",
        interval,
        per_task_day * 2000.0 / (1024.0 * 1024.0)
    );
}
