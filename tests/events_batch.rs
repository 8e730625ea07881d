//! The scheduling events' task map is read in batches: a tick over a workload whose
//! 1,000 threads all ran reads every one of them with a few system calls (aya's iterator
//! took two per entry). Skips, saying why, where the events cannot load.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use threadtop::collect::events::EventSource;
use threadtop::collect::{DetailPlan, Scanner};

#[test]
fn the_task_map_is_read_in_batches() {
    let mut source = match EventSource::load(false) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("SKIPPED: the scheduling events cannot load here: {why}");
            return;
        }
    };
    let w = support::workload(&[
        "--name",
        "ttbatch",
        "--sleep",
        "1000",
        "--wake-every",
        "100",
    ]);
    let sleepers: HashSet<u32> = w.tids().into_iter().filter(|&t| t != w.pid).collect();
    let mut scanner = Scanner::new("/proc");
    let plan = DetailPlan::default();
    source.tick(&scanner.scan(&plan)).expect("the first tick");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let snap = scanner.scan(&plan);
        let tick = source.tick(&snap).expect("a tick");
        let seen = tick
            .tasks
            .keys()
            .filter(|k| sleepers.contains(&k.tid))
            .count();
        // Every sleeper woke in the interval (each wakes ten times a second): all read.
        if seen == sleepers.len() {
            let calls = source
                .last_read_calls()
                .expect("this kernel reads the map in batches");
            let entries = tick.tasks.len();
            assert!(
                (calls as usize) * 100 < entries,
                "{calls} system calls for {entries} entries"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sleepers never all woke within one tick ({seen} of {})",
            sleepers.len()
        );
    }
}
