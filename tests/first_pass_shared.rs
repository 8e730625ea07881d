//! The first pass shared with helper threads (`collect::prefetch`), on the real /proc: it
//! reads what one thread reads, and the descriptors it leaves open are the ones the
//! budget counts, none more (a leak) and none fewer (the budget would let the process run
//! out). One test in this binary, so the process's descriptors are this test's alone.

mod support;

use std::collections::BTreeMap;

use threadtop::collect::{DetailPlan, Snapshot};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The workload's tasks in a snapshot: TID -> (name, state, start time).
fn tasks_of(snap: &Snapshot, pid: u32) -> BTreeMap<u32, (Vec<u8>, u8, u64)> {
    snap.processes
        .iter()
        .filter(|p| p.tgid == pid)
        .flat_map(|p| &p.tasks)
        .map(|t| (t.tid, (t.comm.as_bytes().to_vec(), t.state, t.start_ticks)))
        .collect()
}

/// A process's owner and command line (or why it has none).
type Owner = (Option<u32>, Result<Vec<u8>, String>);

/// Every process's [`Owner`], by TGID.
fn processes_of(snap: &Snapshot) -> BTreeMap<u32, Owner> {
    snap.processes
        .iter()
        .map(|p| {
            let cmdline = p.cmdline.clone().map_err(|e| format!("{e:?}"));
            (p.tgid, (p.uid, cmdline))
        })
        .collect()
}

#[test]
fn a_shared_first_pass_reads_what_one_thread_reads_and_leaks_no_descriptor() {
    let w = support::workload(&["--name", "ttshared", "--sleep", "600"]);
    // A single-threaded process: its leader's `stat` says so, and its task directory is
    // not listed in a shared first pass. Waited for until it runs `sleep` (before its
    // exec it is a copy of this test).
    let mut single = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("start sleep");
    let sp = single.id();
    let waited = std::time::Instant::now();
    while std::fs::read(format!("/proc/{sp}/cmdline")).ok().as_deref() != Some(b"sleep\x00600\x00")
    {
        assert!(waited.elapsed().as_secs() < 60, "sleep {sp} did not exec");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let plan = DetailPlan::default();
    let mut serial = support::proc_scanner().with_first_pass_threads(1, 0);
    let first_alone = serial.scan_first_pass(&plan);
    let alone = tasks_of(&first_alone, w.pid);
    let owners = processes_of(&first_alone);
    let single_alone = tasks_of(&first_alone, sp);
    assert_eq!(single_alone.keys().copied().collect::<Vec<_>>(), [sp]);
    assert_eq!(owners[&sp].1.as_deref(), Ok(&b"sleep\x00600"[..]));
    assert_eq!(serial.first_pass_threads_used(), 1);
    assert_eq!(serial.first_pass_shared(), 0);
    drop(serial);
    assert_eq!(alone.keys().copied().collect::<Vec<_>>(), w.tids());
    for (tid, name) in &w.threads {
        assert_eq!(&alone[tid].0, name, "thread {tid}'s name read alone");
    }

    let before = open_fds();
    // Helpers only: their path whatever the race. Then as threadtop runs: the loop and
    // the helpers take tasks as they get to them.
    for helpers_only in [true, false] {
        let mut shared = support::proc_scanner().with_first_pass_threads(2, 0);
        if helpers_only {
            shared = shared.first_pass_to_helpers_only();
        }
        let first = shared.scan_first_pass(&plan);
        assert_eq!(shared.first_pass_threads_used(), 2);
        if helpers_only {
            // Every task of the machine, this workload's among them.
            assert!(shared.first_pass_shared() >= w.threads.len());
        }
        let read = tasks_of(&first, w.pid);
        // The workload's threads sleep throughout: same names, states and start times.
        assert_eq!(read, alone, "helpers_only {helpers_only}");
        // Owners (from the listing) and command lines (read by the helpers with their
        // leaders) of the processes both passes saw, this workload's among them.
        let shared_owners = processes_of(&first);
        assert_eq!(shared_owners[&w.pid], owners[&w.pid]);
        assert_eq!(
            tasks_of(&first, sp),
            single_alone,
            "the single-threaded process"
        );
        assert_eq!(
            shared_owners[&sp], owners[&sp],
            "its owner and command line"
        );
        for (tgid, seen) in &shared_owners {
            if let Some(alone) = owners.get(tgid)
                && seen.1.is_ok()
                && alone.1.is_ok()
            {
                assert_eq!(seen.0, alone.0, "process {tgid}'s owner");
            }
        }
        // Every descriptor open beyond the ones before is one the budget counts (a few
        // more: the root, the cgroup and system files the scanner keeps).
        for _ in 0..3 {
            let full = shared.scan(&plan);
            for t in full
                .processes
                .iter()
                .filter(|p| p.tgid == w.pid)
                .flat_map(|p| &p.tasks)
            {
                assert!(
                    t.schedstat.is_ok(),
                    "thread {} run time after the first pass",
                    t.tid
                );
            }
            let open = open_fds() - before;
            let kept = shared.kept_descriptors();
            assert!(
                (kept..=kept + 64).contains(&open),
                "{open} descriptors open, {kept} counted (helpers_only {helpers_only})"
            );
        }
        drop(shared);
        assert_eq!(
            open_fds(),
            before,
            "descriptors left open (helpers_only {helpers_only})"
        );
    }
    let _ = single.kill();
    let _ = single.wait();
}
