//! Where the iterator scanner's time goes: CPU time of the iterator pass alone against
//! the whole scan with it, and the /proc scan (`cargo run --release --example
//! task_iter_cost`). Medians of 7, 200 ms apart.
use std::time::Duration;

use threadtop::collect::task_iter::TaskIter;
use threadtop::collect::{DetailPlan, Scanner};

fn cpu_ms() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    use threadtop::collect::task_iter::Kind;
    for kind in [Kind::Walk, Kind::IterTask] {
        let mut it = match TaskIter::load_only(Some(kind)) {
            Ok(i) => i,
            Err(why) => {
                println!("{}: cannot load: {why}", kind.name());
                continue;
            }
        };
        let mut recs = Vec::new();
        let mut pass = Vec::new();
        for _ in 0..7 {
            std::thread::sleep(Duration::from_millis(200));
            let c = cpu_ms();
            let _ = it.read(&mut recs);
            pass.push(cpu_ms() - c);
        }
        let us = median(pass.clone()) * 1e3 / recs.len().max(1) as f64;
        println!(
            "{}: {} records, a pass {:.2} ms ({us:.3} us a task)",
            kind.name(),
            recs.len(),
            median(pass)
        );
    }
    let plan = DetailPlan::default();
    let mut s = Scanner::new("/proc").with_task_iter(threadtop::collect::events::Mode::Auto);
    s.scan(&plan);
    let mut scan = Vec::new();
    let mut tasks = 0;
    for _ in 0..7 {
        std::thread::sleep(Duration::from_millis(200));
        let c = cpu_ms();
        let snap = s.scan(&plan);
        scan.push(cpu_ms() - c);
        tasks = snap.task_count();
    }
    println!(
        "scan with the default {:.2} ms ({tasks} tasks, {} processes kept)",
        median(scan),
        s.kept_descriptors()
    );
}
