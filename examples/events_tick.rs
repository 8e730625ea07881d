//! What one tick of the scheduling event source costs the collector: the CPU time of
//! `EventSource::tick` (bump the generation, read every task's value, sweep the gone),
//! over N ticks 1 s apart, next to the /proc scan of the same tick. As root:
//!
//! ```sh
//! cargo run --release --example events_tick -- [TICKS]
//! ```

use std::time::Duration;

use threadtop::collect::events::EventSource;
use threadtop::collect::{DetailPlan, Scanner};

#[path = "common/measure.rs"]
mod measure;
use measure::thread_cpu_ns;

fn main() {
    let ticks: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let mut source = match EventSource::load(false) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("events_tick: the event source cannot load here: {why}");
            std::process::exit(1);
        }
    };
    let mut scanner = Scanner::new("/proc");
    let plan = DetailPlan::default();
    let (mut scan_ns, mut tick_ns, mut tasks, mut entries) = (Vec::new(), Vec::new(), 0, 0);
    for i in 0..=ticks {
        let a = thread_cpu_ns();
        let snap = scanner.scan(&plan);
        let b = thread_cpu_ns();
        let t = source.tick(&snap).unwrap_or_default();
        let c = thread_cpu_ns();
        if i > 0 {
            scan_ns.push(b - a);
            tick_ns.push(c - b);
            tasks = snap.task_count();
            entries = t.tasks.len();
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    scan_ns.sort_unstable();
    tick_ns.sort_unstable();
    let median = |v: &[u64]| v.get(v.len() / 2).copied().unwrap_or(0) as f64 / 1000.0;
    println!(
        "{tasks} tasks, {entries} with events in the last tick: /proc scan {:.0} µs, events tick {:.0} µs (medians of {ticks} ticks, thread CPU time)",
        median(&scan_ns),
        median(&tick_ns)
    );
}
