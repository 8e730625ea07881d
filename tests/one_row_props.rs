//! Property tests of "one row per task": whatever a directory listing returns (repeats,
//! any order, TIDs reused in the middle of a scan), the pieces a scan builds its snapshot
//! from hold each TID once per process and each (TID, start time) once per snapshot, and
//! keep the last read of each. The churn tests in robust_proc.rs and e2e_robust.rs check
//! the same on the real /proc.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use threadtop::collect::kept_files::{sorted_unique, tids_missing};
use threadtop::collect::{ProcessInfo, TaskInfo, TaskKey, one_row_per_key, one_row_per_task};

fn task(tid: u32, tgid: u32, start_ticks: u64, mark: u64) -> TaskInfo {
    TaskInfo {
        tid,
        tgid,
        start_ticks,
        // Which read this was, to check that the last one is kept.
        utime_ticks: mark,
        ..TaskInfo::EMPTY
    }
}

fn process(tgid: u32, tasks: Vec<TaskInfo>) -> ProcessInfo {
    ProcessInfo {
        tgid,
        ppid: 1,
        uid: None,
        user: None,
        cmdline: Ok(Vec::new()),
        rss_bytes: 0,
        statm: None,
        task_io: Vec::new(),
        tasks,
        tasks_error: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A listing, however repeated or disordered, merged with what was kept: each listed
    /// TID once, nothing else.
    #[test]
    fn a_listing_merged_with_kept_tasks_names_each_tid_once(
        kept in proptest::collection::vec(0u32..40, 0..30),
        listed in proptest::collection::vec(0u32..40, 0..60),
    ) {
        let mut kept = kept;
        sorted_unique(&mut kept);
        let mut listing = listed.clone();
        sorted_unique(&mut listing);
        kept.retain(|t| listing.binary_search(t).is_ok());
        let missing = tids_missing(&kept, |&t| t, &listing);
        let mut merged = kept.clone();
        merged.extend(&missing);
        merged.sort_unstable();
        let want: Vec<u32> = listed.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        prop_assert_eq!(merged, want);
    }

    /// A process's tasks, with TIDs repeated: each TID once, the leader first, the others
    /// by TID, and of repeated reads the last one.
    #[test]
    fn a_process_lists_each_tid_once_leader_first(
        tids in proptest::collection::vec(0u32..12, 0..40),
        tgid in 0u32..12,
    ) {
        let mut tasks: Vec<TaskInfo> = tids
            .iter()
            .enumerate()
            .map(|(i, &tid)| task(tid, tgid, 7, i as u64))
            .collect();
        let last: BTreeMap<u32, u64> = tasks.iter().map(|t| (t.tid, t.utime_ticks)).collect();
        one_row_per_task(&mut tasks);
        let got: Vec<u32> = tasks.iter().map(|t| t.tid).collect();
        let mut want: Vec<u32> = last.keys().copied().filter(|&t| t != tgid).collect();
        if last.contains_key(&tgid) {
            want.insert(0, tgid);
        }
        prop_assert_eq!(got, want);
        for t in &tasks {
            prop_assert_eq!(Some(&t.utime_ticks), last.get(&t.tid), "not the last read");
        }
    }

    /// A snapshot whose processes share (TID, start time) keys (a TID reused within one
    /// clock tick during the scan): each key once, the later process's read kept, a process
    /// whose leader was an earlier read dropped, nothing started before the scan touched.
    #[test]
    fn a_snapshot_holds_each_task_key_once(
        procs in proptest::collection::vec(
            (1u32..8, proptest::collection::vec((1u32..10, 0u64..3), 0..8)),
            0..8,
        ),
        since in 0u64..3,
    ) {
        let mut mark = 0;
        // What /proc can give: each TGID listed once, and two tasks with one key only if
        // the first exited during the scan and its TID went to one started since.
        let mut tgids = BTreeSet::new();
        let mut old_keys = BTreeSet::new();
        let mut processes: Vec<ProcessInfo> = procs
            .iter()
            .filter(|(tgid, _)| tgids.insert(*tgid))
            .map(|(tgid, tasks)| {
                let mut tasks: Vec<TaskInfo> = tasks
                    .iter()
                    .filter(|&&(tid, start)| start >= since || old_keys.insert((tid, start)))
                    .map(|&(tid, start)| {
                        mark += 1;
                        task(tid, *tgid, start, mark)
                    })
                    .collect();
                one_row_per_task(&mut tasks);
                process(*tgid, tasks)
            })
            .filter(|p| !p.tasks.is_empty())
            .collect();
        let before = processes.clone();
        // The last read of each key (processes are in scan order).
        let mut last: BTreeMap<TaskKey, u64> = BTreeMap::new();
        for p in &before {
            for t in &p.tasks {
                last.insert(t.key(), t.utime_ticks);
            }
        }
        one_row_per_key(&mut processes, since);
        let mut seen = BTreeSet::new();
        for p in &processes {
            prop_assert!(!p.tasks.is_empty());
            for t in &p.tasks {
                prop_assert!(seen.insert(t.key()), "{:?} twice", t.key());
                if t.start_ticks >= since {
                    prop_assert_eq!(Some(&t.utime_ticks), last.get(&t.key()));
                }
            }
        }
        // Tasks started before the scan are never dropped, unless with their process.
        for p in &before {
            let after = processes.iter().find(|q| q.tgid == p.tgid && q.tasks.first().map(|t| t.utime_ticks) == p.tasks.first().map(|t| t.utime_ticks));
            let leader_dropped = p.tasks[0].tid == p.tgid
                && p.tasks[0].start_ticks >= since
                && last.get(&p.tasks[0].key()) != Some(&p.tasks[0].utime_ticks);
            if leader_dropped {
                prop_assert!(after.is_none(), "process {} kept without its leader", p.tgid);
                continue;
            }
            for t in p.tasks.iter().filter(|t| t.start_ticks < since) {
                let kept = processes.iter().any(|q| q.tasks.iter().any(|u| u.utime_ticks == t.utime_ticks));
                prop_assert!(kept, "task {:?} started before the scan was dropped", t.key());
            }
        }
    }
}
