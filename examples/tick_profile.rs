//! A /proc tick below the UI, for profilers: three scans of the machine (the plan with no
//! rows on screen) and the model built from each pair, as the collector and the model do
//! every tick, for `perf record` or similar. Not under valgrind 3.19: rustix's
//! auxv check (`auxv::check_elf_base`, first reached from `Scanner::new`) faults there.
use std::sync::Arc;

use threadtop::collect::{DetailPlan, Scanner};
use threadtop::model::Model;

fn main() {
    let mut s = Scanner::new("/proc");
    let plan = DetailPlan::default();
    let mut prev = Arc::new(s.scan(&plan));
    let mut rows = 0;
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let snap = Arc::new(s.scan(&plan));
        let m = Model::new(Some(prev), snap.clone());
        rows += m.rates.len();
        prev = snap;
    }
    println!("{rows} rates over 3 ticks");
}
