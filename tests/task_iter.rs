//! The BPF task iterator against the /proc scanner, on the same tasks: identities,
//! states, CPUs and priorities exactly where they cannot move (sleeping threads that never
//! wake), run time ordered between two /proc reads for a busy thread. Skips, saying why,
//! where the iterator cannot load (not root, no BTF, an old kernel).

mod support;

use threadtop::collect::events::Mode;
use threadtop::collect::task_iter::TaskSource;
use threadtop::collect::{DetailPlan, ProcessInfo, Scanner, Snapshot, TaskInfo};

fn iter_scanner() -> Option<Scanner> {
    let mut s = Scanner::new("/proc").with_task_iter(Mode::Auto);
    let snap = s.scan(&DetailPlan::default());
    match &snap.task_source {
        TaskSource::Iterator => Some(s),
        other => {
            eprintln!("SKIPPED: the BPF task iterator cannot run here: {other:?}");
            None
        }
    }
}

fn process(snap: &Snapshot, pid: u32) -> &ProcessInfo {
    snap.processes
        .iter()
        .find(|p| p.tgid == pid)
        .expect("the workload is listed")
}

fn task(p: &ProcessInfo, tid: u32) -> &TaskInfo {
    p.tasks.iter().find(|t| t.tid == tid).expect("task listed")
}

#[test]
fn iterator_and_proc_agree_on_the_same_tasks() {
    let Some(mut iter) = iter_scanner() else {
        return;
    };
    let w = support::workload(&["--name", "ttiter", "--busy", "1", "--sleep", "20"]);
    // Two scanners in one process: this one must leave descriptors to the other (each
    // budgets from the same limit as if alone), whose iterator needs two a pass.
    let mut proc = Scanner::with_fd_limit("/proc", 4096);
    let plan = DetailPlan::default();
    // Wait (poll) until every sleeping thread sleeps in both views.
    let (p1, it, p2) = loop {
        let p1 = proc.scan(&plan);
        let it = iter.scan(&plan);
        let p2 = proc.scan(&plan);
        let asleep = |s: &Snapshot| {
            process(s, w.pid)
                .tasks
                .iter()
                .filter(|t| t.comm.starts_with(b"sleep-"))
                .all(|t| t.state == b'S')
        };
        if asleep(&p1) && asleep(&it) && asleep(&p2) {
            break (p1, it, p2);
        }
    };
    assert_eq!(it.task_source, TaskSource::Iterator);
    let (a, b, c) = (
        process(&p1, w.pid),
        process(&it, w.pid),
        process(&p2, w.pid),
    );
    let tids = |p: &ProcessInfo| p.tasks.iter().map(|t| t.tid).collect::<Vec<_>>();
    assert_eq!(tids(a), tids(b), "the same tasks, leader first");
    assert_eq!(tids(a), w.tids().tap_leader(w.pid));
    for t in &b.tasks {
        let (before, after) = (task(a, t.tid), task(c, t.tid));
        assert_eq!(t.comm, before.comm, "tid {} comm", t.tid);
        assert_eq!(t.start_ticks, before.start_ticks, "tid {} start", t.tid);
        assert_eq!(t.ppid, before.ppid, "tid {} ppid", t.tid);
        assert_eq!(t.nice, before.nice, "tid {} nice", t.tid);
        assert_eq!(t.priority, before.priority, "tid {} priority", t.tid);
        assert_eq!(t.policy, before.policy, "tid {} policy", t.tid);
        assert_eq!(t.rt_priority, before.rt_priority);
        assert_eq!(t.flags, before.flags, "tid {} flags", t.tid);
        assert_eq!(t.num_threads, before.num_threads, "tid {} threads", t.tid);
        let (s0, s, s1) = (
            before.schedstat.expect("schedstat"),
            t.schedstat.expect("schedstat from the iterator"),
            after.schedstat.expect("schedstat"),
        );
        // Read between the two /proc reads: in between, whatever moved.
        assert!(
            s0.run_ns <= s.run_ns && s.run_ns <= s1.run_ns,
            "tid {} run",
            t.tid
        );
        assert!(s0.wait_ns <= s.wait_ns && s.wait_ns <= s1.wait_ns);
        assert!(s0.timeslices <= s.timeslices && s.timeslices <= s1.timeslices);
        let cpu = |x: &TaskInfo| x.utime_ticks + x.stime_ticks;
        // utime and stime as /proc scales them, which remembers what it last gave: a few
        // ticks of slack (one tick is 10 ms of CPU).
        assert!(
            cpu(t) + 2 >= cpu(before) && cpu(t) <= cpu(after) + 2,
            "tid {} cpu",
            t.tid
        );
        if t.comm.starts_with(b"sleep-") {
            // Asleep all along: nothing of it moves.
            assert_eq!(s0, s1, "tid {} slept between the reads", t.tid);
            assert_eq!(s, s0, "tid {} schedstat", t.tid);
            assert_eq!(t.state, b'S');
            assert_eq!(t.processor, before.processor, "tid {} cpu", t.tid);
            assert_eq!(t.processor, after.processor);
        }
    }
    let busy = w.tid("busy-0").expect("busy thread");
    assert!(task(b, busy).schedstat.expect("busy").run_ns > 0);
}

/// The leader first, then the rest by TID (the scanner's order).
trait TapLeader {
    fn tap_leader(self, leader: u32) -> Vec<u32>;
}

impl TapLeader for Vec<u32> {
    fn tap_leader(mut self, leader: u32) -> Vec<u32> {
        self.retain(|&t| t != leader);
        self.insert(0, leader);
        self
    }
}
