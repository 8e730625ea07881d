//! What following every task's cgroup adds to a tick, measured in one process so that the
//! machine's load hits both sides alike:
//!
//! ```sh
//! cargo run --release --example cgroup_cost -- 1000 10000
//! ```
//!
//! For each size it starts `threadtop-workload` with that many threads (one busy), then,
//! interleaved over 15 rounds 200 ms apart: the CPU time of a whole `Scanner::scan` (which
//! includes the cgroup step), and of the cgroup step alone (`CgroupTracker::refresh` on the
//! same processes, warmed up like the scanner's own). Medians are printed; nothing is
//! asserted. Also the one-time cost of the first sight of every task.

use std::os::fd::AsFd;
use std::time::Duration;

use threadtop::collect::cgroup::CgroupTracker;
use threadtop::collect::{DetailPlan, Scanner};

#[path = "common/measure.rs"]
mod measure;
use measure::{median, thread_cpu_ns};
#[path = "common/workload.rs"]
mod workload;
use workload::Workload;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    for n in sizes {
        let sleep = (n - 2).to_string();
        let _workload = Workload::start(&["--busy", "1", "--sleep", &sleep, "--seconds", "120"]);
        let mut scanner = Scanner::new("/proc");
        let plan = DetailPlan::default();
        let mut snap = scanner.scan(&plan);
        let root = rustix::fs::open(
            "/proc",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )
        .expect("open /proc");
        let mut tracker = CgroupTracker::new("/proc");
        let t0 = thread_cpu_ns();
        tracker.refresh(root.as_fd(), &snap.processes, false);
        let first_ns = thread_cpu_ns() - t0;
        let first_reads = tracker.task_reads;
        let mut exact = CgroupTracker::new("/proc");
        let t0 = thread_cpu_ns();
        exact.refresh(root.as_fd(), &snap.processes, true);
        let exact_ns = thread_cpu_ns() - t0;
        for _ in 0..3 {
            snap = scanner.scan(&plan);
            tracker.refresh(root.as_fd(), &snap.processes, false);
        }
        let (mut scans, mut cgroups) = (Vec::new(), Vec::new());
        let reads_before = tracker.task_reads;
        let rounds = 15;
        for _ in 0..rounds {
            std::thread::sleep(Duration::from_millis(200));
            let t0 = thread_cpu_ns();
            snap = scanner.scan(&plan);
            scans.push((thread_cpu_ns() - t0) as f64 / 1e3);
            std::thread::sleep(Duration::from_millis(200));
            let t0 = thread_cpu_ns();
            tracker.refresh(root.as_fd(), &snap.processes, false);
            cgroups.push((thread_cpu_ns() - t0) as f64 / 1e3);
        }
        let tasks = snap.task_count();
        let scan = median(&mut scans);
        let cg = median(&mut cgroups);
        println!(
            "{tasks} tasks: scan {scan:.0} µs (with the cgroup step), cgroup step {cg:.0} µs = {:.1} % of the rest; {:.1} task files read a tick; first sight {:.1} ms ({first_reads} files), --json's exact first sight {:.1} ms",
            cg / (scan - cg) * 100.0,
            (tracker.task_reads - reads_before) as f64 / rounds as f64,
            first_ns as f64 / 1e6,
            exact_ns as f64 / 1e6,
        );
    }
}
