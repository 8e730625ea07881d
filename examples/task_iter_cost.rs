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
    let mut it = match TaskIter::load() {
        Ok(i) => i,
        Err(why) => {
            println!("cannot load: {why}");
            return;
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
    drop(it);
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
        "{} records, iterator pass {:.2} ms; scan with it {:.2} ms ({tasks} tasks, {} processes kept)",
        recs.len(),
        median(pass),
        median(scan),
        s.kept_descriptors()
    );
}
