//! Measures what one round of wait sampling costs against a whole-machine scan, the figures
//! `collect::waits::sampler::BUDGET_OF_SCAN` was set from:
//!
//! ```text
//! cargo run --release --example wait_sample [TASKS]
//! ```
//!
//! Samples the first TASKS user tasks (default 40, the rows of a tall terminal) and prints
//! the median of 50 scans and of 200 rounds, and the period the budget then allows.

use std::time::{Duration, Instant};

use threadtop::collect::waits::Sampler;
use threadtop::collect::waits::sampler::period;
use threadtop::collect::{DetailPlan, Scanner};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    let mut scanner = Scanner::new("/proc");
    let plan = DetailPlan::default();
    let mut snap = scanner.scan(&plan);
    let scans: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            snap = scanner.scan(&plan);
            t.elapsed()
        })
        .collect();
    let scan = median(scans);
    let tasks: Vec<(u32, u32)> = snap
        .processes
        .iter()
        .filter(|p| !p.is_kernel())
        .flat_map(|p| p.tasks.iter().map(move |t| (p.tgid, t.tid)))
        .take(n)
        .collect();
    let mut sampler = Sampler::new("/proc");
    sampler.set_tasks(tasks.clone());
    sampler.round();
    let rounds: Vec<Duration> = (0..200)
        .map(|_| {
            sampler.round();
            sampler.round_cost()
        })
        .collect();
    let round = median(rounds);
    let out = sampler.take();
    let blocked = out.tasks.values().filter(|t| t.off_total() > 0).count();
    println!(
        "whole-machine scan: {} tasks, median {:.2} ms",
        snap.task_count(),
        scan.as_secs_f64() * 1e3
    );
    println!(
        "one round over {} tasks ({blocked} seen blocked): median {:.3} ms ({:.1} us a task)",
        tasks.len(),
        round.as_secs_f64() * 1e3,
        round.as_secs_f64() * 1e6 / tasks.len().max(1) as f64
    );
    match period(Duration::from_secs(1), scan, round) {
        Some(p) => println!(
            "at a tenth of the scan: a round every {:.0} ms ({:.1} a second)",
            p.as_secs_f64() * 1e3,
            1.0 / p.as_secs_f64()
        ),
        None => println!("at a tenth of the scan: no extra round fits"),
    }
}
