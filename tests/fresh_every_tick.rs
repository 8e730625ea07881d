//! Every task's state, last CPU and exact CPU time are read fresh on every tick, not only
//! for the rows on screen: the detail plan narrows `status`, never `stat` or `schedstat`.
//! The files of a fabricated /proc are rewritten in place between scans, so descriptors
//! the scanner kept open must see the new contents (pread at offset 0), exactly as they
//! do on the real /proc. No timing involved.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use threadtop::collect::{DetailPlan, Scanner, Snapshot};
use threadtop::model::Model;

const PROCS: u32 = 3;
const THREADS: u32 = 5;

fn tids() -> impl Iterator<Item = (u32, u32)> {
    (0..PROCS).flat_map(|p| {
        let tgid = 100 + p * 10;
        (0..THREADS).map(move |i| (tgid, tgid + i))
    })
}

/// Writes every task's stat and schedstat for tick `tick`: state, CPU and run time all
/// differ from one tick to the next and from one task to another.
fn write_tick(root: &Path, tick: u64) {
    for (tgid, tid) in tids() {
        let dir = root.join(format!("{tgid}/task/{tid}"));
        fs::create_dir_all(&dir).expect("mkdir");
        let state = if tick.is_multiple_of(2) { 'S' } else { 'R' };
        let cpu = (u64::from(tid) + tick) % 2;
        let line = format!(
            "{tid} (t{tid}) {state} 1 {tgid} {tgid} 0 -1 0 0 0 0 0 {tick} 0 0 0 20 0 {THREADS} 0 {tid} 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 {cpu} 0 0 0 0 0\n"
        );
        fs::write(dir.join("stat"), line).expect("write stat");
        let run_ns = run_ns(tid, tick);
        fs::write(dir.join("schedstat"), format!("{run_ns} 0 {tick}\n")).expect("write");
    }
    // Tick times come from the scanner's own clock; uptime only feeds the header.
    fs::write(root.join("uptime"), "100.00 100.00\n").expect("write");
}

/// As the kernel does when a thread comes or goes: the leader's `stat` counts the threads
/// (the scanner lists a process's tasks only when that count or a thread's end says the
/// kept ones are not all of them).
fn set_thread_count(root: &Path, tgid: u32, n: u32) {
    let path = root.join(format!("{tgid}/task/{tgid}/stat"));
    let line = fs::read_to_string(&path).expect("read stat");
    let mut f: Vec<String> = line.split(' ').map(str::to_owned).collect();
    f[19] = n.to_string();
    fs::write(&path, f.join(" ")).expect("write stat");
}

/// Task `tid` runs `tid` ms per tick.
fn run_ns(tid: u32, tick: u64) -> u64 {
    u64::from(tid) * 1_000_000 * tick
}

fn check_all_fresh(snap: &Snapshot, tick: u64) {
    let mut seen = 0;
    for t in snap.tasks() {
        let state = if tick.is_multiple_of(2) { b'S' } else { b'R' };
        assert_eq!(t.state, state, "tid {} state at tick {tick}", t.tid);
        assert_eq!(
            t.processor,
            Some(((u64::from(t.tid) + tick) % 2) as u16),
            "tid {} cpu at tick {tick}",
            t.tid
        );
        assert_eq!(t.utime_ticks, tick, "tid {} utime", t.tid);
        let s = t.schedstat.expect("schedstat readable");
        assert_eq!(s.run_ns, run_ns(t.tid, tick), "tid {} run time", t.tid);
        assert_eq!(s.timeslices, tick);
        seen += 1;
    }
    assert_eq!(seen, PROCS * THREADS, "every task listed");
}

fn only_one_visible() -> DetailPlan {
    DetailPlan {
        all: false,
        tids: [100].into(),
        ..DetailPlan::default()
    }
}

fn run_ticks(mut scanner: Scanner, root: &Path) {
    let plan = only_one_visible();
    let mut prev: Option<Arc<Snapshot>> = None;
    for tick in 1..=4 {
        write_tick(root, tick);
        let snap = Arc::new(scanner.scan(&plan));
        check_all_fresh(&snap, tick);
        for t in snap.tasks() {
            assert_eq!(
                t.detail().is_some(),
                t.tid == 100,
                "status only for the planned task"
            );
        }
        let model = Model::new(prev.clone(), snap.clone());
        if prev.is_some() {
            // Every task's CPU time grew by its own amount, so every task has a rate,
            // not only the visible one.
            for t in snap.tasks() {
                let rate = model.rates.get(&t.key()).expect("a rate per task");
                let pct = rate.cpu_percent.expect("CPU % for every task");
                assert!(pct > 0.0, "tid {} shows CPU use at tick {tick}", t.tid);
            }
        }
        prev = Some(snap);
    }
}

#[test]
fn state_cpu_and_run_time_are_fresh_for_all_tasks_through_kept_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 0);
    let scanner = Scanner::new(dir.path());
    run_ticks(scanner, dir.path());
}

#[test]
fn still_fresh_when_descriptors_run_short() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 0);
    // Room to keep only 4 descriptors: the rest are read with open/read/close each tick.
    let scanner = Scanner::with_fd_limit(dir.path(), 260);
    assert_eq!(scanner.kept_descriptors(), 0);
    run_ticks(scanner, dir.path());
}

#[test]
fn kept_descriptors_stay_bounded_by_the_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 1);
    let mut scanner = Scanner::with_fd_limit(dir.path(), 260);
    for _ in 0..3 {
        scanner.scan(&DetailPlan::all());
        assert_eq!(scanner.kept_descriptors(), 4);
    }
    let mut roomy = Scanner::with_fd_limit(dir.path(), 10_000);
    roomy.scan(&DetailPlan::default());
    // Two files per task plus one task directory per process.
    assert_eq!(roomy.kept_descriptors() as u32, PROCS * THREADS * 2 + PROCS);
}

#[test]
fn exited_tasks_release_their_descriptors() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 1);
    let mut scanner = Scanner::with_fd_limit(dir.path(), 10_000);
    scanner.scan(&DetailPlan::default());
    let before = scanner.kept_descriptors();
    fs::remove_dir_all(dir.path().join("110")).expect("rm process");
    fs::remove_dir_all(dir.path().join("120/task/121")).expect("rm thread");
    set_thread_count(dir.path(), 120, THREADS - 1);
    let snap = scanner.scan(&DetailPlan::default());
    assert_eq!(snap.task_count() as u32, (PROCS - 1) * THREADS - 1);
    assert_eq!(
        scanner.kept_descriptors(),
        before - (THREADS as usize * 2 + 1) - 2
    );
}

#[test]
fn a_new_thread_is_seen_the_tick_it_appears() {
    // Room for everything, and room for a few task files but no task directory.
    for limit in [10_000, 260, 263] {
        a_new_thread_is_seen_with_fd_limit(limit);
    }
}

fn a_new_thread_is_seen_with_fd_limit(limit: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 1);
    let mut scanner = Scanner::with_fd_limit(dir.path(), limit);
    for _ in 0..2 {
        // The second scan lists nothing: every thread count matches what is kept.
        assert_eq!(
            scanner.scan(&DetailPlan::default()).task_count() as u32,
            PROCS * THREADS
        );
    }
    let new = dir.path().join("120/task/129");
    fs::create_dir_all(&new).expect("mkdir");
    fs::copy(dir.path().join("120/task/121/stat"), new.join("stat")).expect("stat");
    fs::copy(
        dir.path().join("120/task/121/schedstat"),
        new.join("schedstat"),
    )
    .expect("ss");
    set_thread_count(dir.path(), 120, THREADS + 1);
    let snap = scanner.scan(&DetailPlan::default());
    let p = snap.processes.iter().find(|p| p.tgid == 120).expect("120");
    let tids: Vec<u32> = p.tasks.iter().map(|t| t.tid).collect();
    assert_eq!(
        tids,
        [120, 121, 122, 123, 124, 129],
        "leader first, then by TID"
    );
}

/// The live collector's first frame comes from a pass over `stat` only. That pass is just
/// as fresh for what `stat` holds, says it lacks schedstat, and nothing computed against
/// it pretends to know a rate: the rows show unknown CPU %, switches and waits, never 0.
#[test]
fn the_quick_first_pass_is_fresh_and_its_rates_are_unknown_not_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 1);
    let mut scanner = Scanner::new(dir.path());
    let plan = only_one_visible();
    let quick = Arc::new(scanner.scan_first_pass(&plan));
    assert!(!quick.schedstat_read);
    assert_eq!(quick.task_count() as u32, PROCS * THREADS);
    for t in quick.tasks() {
        assert_eq!(t.state, b'R', "tid {} state", t.tid);
        assert_eq!(t.processor, Some(((u64::from(t.tid) + 1) % 2) as u16));
        assert_eq!(t.utime_ticks, 1);
        assert_eq!(t.schedstat, Err(threadtop::collect::Unreadable::Absent));
    }
    let opts = threadtop::model::ViewOptions::default();
    let unknown = |model: &Model| {
        for t in model.current.tasks() {
            // No entry reads as all unknown (every reader takes it so), as an entry would.
            let rate = model.rates.get(&t.key()).unwrap_or_default();
            assert_eq!(rate.cpu_percent, None, "tid {} CPU %", t.tid);
            assert_eq!(rate.switches_per_sec, None, "tid {} switches", t.tid);
            assert_eq!(rate.wait_percent, None, "tid {} wait", t.tid);
        }
        let rows = model.rows(&opts);
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r.cpu_percent.is_none()), "{rows:#?}");
    };
    let model = Model::new(None, quick);
    unknown(&model);

    // The full scan right after: fresh schedstat for every task, but still no rate, since
    // the pass before it had no run times to subtract.
    write_tick(dir.path(), 2);
    let full = Arc::new(scanner.scan(&plan));
    assert!(full.schedstat_read);
    check_all_fresh(&full, 2);
    let model = model.advance(full);
    unknown(&model);

    // From the next scan on, every task has a real rate.
    write_tick(dir.path(), 3);
    let next = Arc::new(scanner.scan(&plan));
    check_all_fresh(&next, 3);
    let model = model.advance(next);
    for t in model.current.tasks() {
        let pct = model
            .rates
            .get(&t.key())
            .expect("rates")
            .cpu_percent
            .expect("CPU % known");
        assert!(pct > 0.0, "tid {}", t.tid);
    }
}

/// The first pass over a big process: every task is there once, in TID order, fresh; the
/// full scan after it reads every schedstat and keeps the stat files the pass opened.
#[test]
fn a_big_process_in_the_first_pass_is_whole_and_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tgid = 5000u32;
    let n = 1201u32;
    let write = |tick: u64| {
        for tid in tgid..tgid + n {
            let d = dir.path().join(format!("{tgid}/task/{tid}"));
            fs::create_dir_all(&d).expect("mkdir");
            let cpu = (u64::from(tid) + tick) % 2;
            fs::write(
                d.join("stat"),
                format!("{tid} (w{tid}) S 1 {tgid} {tgid} 0 -1 0 0 0 0 0 {tick} 0 0 0 20 0 {n} 0 {tid} 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 {cpu} 0 0 0 0 0\n"),
            )
            .expect("stat");
            fs::write(
                d.join("schedstat"),
                format!("{} 0 {tick}\n", u64::from(tid) * tick),
            )
            .expect("schedstat");
        }
    };
    write(1);
    let mut scanner = Scanner::with_fd_limit(dir.path(), 10_000);
    let quick = scanner.scan_first_pass(&DetailPlan::default());
    let p = &quick.processes[0];
    let tids: Vec<u32> = p.tasks.iter().map(|t| t.tid).collect();
    assert_eq!(tids, (tgid..tgid + n).collect::<Vec<_>>());
    for t in &p.tasks {
        assert_eq!(t.processor, Some(((u64::from(t.tid) + 1) % 2) as u16));
        assert_eq!(t.comm, format!("w{}", t.tid).as_bytes());
    }
    // stat of every task and the task directory.
    assert_eq!(scanner.kept_descriptors() as u32, n + 1);
    write(2);
    let full = scanner.scan(&DetailPlan::default());
    assert_eq!(full.task_count() as u32, n);
    for t in full.tasks() {
        assert_eq!(t.utime_ticks, 2);
        assert_eq!(t.processor, Some((u64::from(t.tid) % 2) as u16));
        assert_eq!(t.schedstat.map(|s| s.run_ns), Ok(u64::from(t.tid) * 2));
    }
    assert_eq!(scanner.kept_descriptors() as u32, 2 * n + 1);
}

/// `status` of the rows on screen is kept open while they stay there, and its descriptor
/// goes when the row leaves the screen; with every task's detail asked for, none is kept.
#[test]
fn status_descriptors_are_kept_only_for_the_rows_on_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 1);
    let status = |n: u32| {
        format!(
            "Name:\tt100\nCpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t{n}\nnonvoluntary_ctxt_switches:\t0\n"
        )
    };
    let status_path = dir.path().join("100/task/100/status");
    fs::write(&status_path, status(5)).expect("status");
    let mut scanner = Scanner::with_fd_limit(dir.path(), 10_000);
    let base = (PROCS * THREADS * 2 + PROCS) as usize;
    let snap = scanner.scan(&only_one_visible());
    assert!(snap.tasks().any(|t| t.tid == 100 && t.detail().is_some()));
    assert_eq!(scanner.kept_descriptors(), base + 1);
    write_tick(dir.path(), 2);
    fs::write(&status_path, status(9)).expect("status");
    let snap = scanner.scan(&only_one_visible());
    let d = snap
        .tasks()
        .find(|t| t.tid == 100)
        .and_then(|t| t.detail().cloned());
    let d = d.expect("asked").expect("readable");
    assert_eq!(
        d.voluntary_switches, 9,
        "read fresh through the kept descriptor"
    );
    assert_eq!(scanner.kept_descriptors(), base + 1);
    scanner.scan(&DetailPlan::default());
    assert_eq!(scanner.kept_descriptors(), base);
    scanner.scan(&DetailPlan::all());
    assert_eq!(scanner.kept_descriptors(), base);

    // `sched` of the selected process's tasks: kept while it stays selected, fresh.
    let sched = |n: u32| format!("t (100, #threads: 5)\n---\nse.nr_migrations : {n}\n");
    for tid in 110..110 + THREADS {
        let p = dir.path().join(format!("110/task/{tid}/sched"));
        fs::write(p, sched(tid)).expect("sched");
    }
    let selected = DetailPlan {
        sched_tgid: Some(110),
        ..DetailPlan::default()
    };
    scanner.scan(&selected);
    assert_eq!(scanner.kept_descriptors(), base + THREADS as usize);
    fs::write(dir.path().join("110/task/111/sched"), sched(7)).expect("sched");
    let snap = scanner.scan(&selected);
    let m = snap
        .tasks()
        .find(|t| t.tid == 111)
        .and_then(|t| t.migrations());
    assert_eq!(m, Some(Ok(7)), "read fresh through the kept descriptor");
    assert_eq!(scanner.kept_descriptors(), base + THREADS as usize);
    scanner.scan(&DetailPlan::default());
    assert_eq!(scanner.kept_descriptors(), base);
}

/// The same on the privileged path: with the BPF task walk and with iter/task, every task's state, CPU
/// and run time are fresh each tick too (a busy thread's run time grows every tick, every
/// task of the workload is there with its figures), not only the rows on screen. Real
/// kernel tasks, as a fabricated /proc cannot feed the iterator; skips, saying why, where
/// it cannot load.
#[test]
fn fresh_every_tick_through_the_task_walk() {
    fresh_every_tick_through(threadtop::collect::task_iter::Kind::Walk);
}

#[test]
fn fresh_every_tick_through_iter_task() {
    fresh_every_tick_through(threadtop::collect::task_iter::Kind::IterTask);
}

fn fresh_every_tick_through(kind: threadtop::collect::task_iter::Kind) {
    #[path = "support/mod.rs"]
    mod support;
    let mut scanner = Scanner::new("/proc").with_loaded_task_iter(
        threadtop::collect::task_iter::TaskIter::load_only(Some(kind)),
    );
    let plan = only_one_visible();
    let first = scanner.scan(&plan);
    if let Some(why) = first.task_source.why_not() {
        eprintln!("SKIPPED: the BPF task iterator cannot run here: {why}");
        return;
    }
    let w = support::workload(&["--name", "ttfresh", "--busy", "1", "--sleep", "4"]);
    let busy = w.tid("busy-0").expect("busy thread");
    let mut last_run = None;
    let mut ticks = 0;
    while ticks < 4 {
        let snap = scanner.scan(&plan);
        assert_eq!(
            snap.task_source,
            threadtop::collect::task_iter::TaskSource::Iterator(kind)
        );
        let Some(p) = snap.processes.iter().find(|p| p.tgid == w.pid) else {
            continue; // not started yet as the kernel sees it: poll
        };
        let tids: Vec<u32> = p.tasks.iter().map(|t| t.tid).collect();
        let mut want = w.tids();
        want.retain(|&t| t != w.pid);
        want.insert(0, w.pid);
        assert_eq!(tids, want, "every task, every tick");
        for t in &p.tasks {
            assert!(
                t.schedstat.is_ok() && t.processor.is_some(),
                "tid {}",
                t.tid
            );
            assert!(matches!(t.state, b'R' | b'S'), "tid {} state", t.tid);
        }
        let run = p
            .tasks
            .iter()
            .find(|t| t.tid == busy)
            .and_then(|t| t.schedstat.ok())
            .map(|s| s.run_ns)
            .expect("busy thread's run time");
        if last_run.is_some_and(|l| run <= l) {
            // Not on a CPU since the last tick (a loaded machine): wait for it to run.
            std::thread::sleep(std::time::Duration::from_millis(20));
            continue;
        }
        last_run = Some(run);
        ticks += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn fresh_when_the_first_pass_is_shared_with_helper_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tick(dir.path(), 0);
    // The task count a large machine is told by (`collect::prefetch`).
    fs::write(dir.path().join("loadavg"), "0.00 0.00 0.00 1/15 200\n").expect("write");
    // Room for everything, and for a few files; the helpers' path whatever the race, and
    // the race itself.
    for (limit, helpers_only) in [(10_000, true), (260, true), (10_000, false)] {
        let mut scanner = Scanner::with_fd_limit(dir.path(), limit).with_first_pass_threads(2, 0);
        if helpers_only {
            scanner = scanner.first_pass_to_helpers_only();
        }
        let first = scanner.scan_first_pass(&only_one_visible());
        assert_eq!(scanner.first_pass_threads_used(), 2, "limit {limit}");
        if helpers_only {
            assert_eq!(scanner.first_pass_shared() as u32, PROCS * THREADS);
        }
        let mut seen = 0;
        for t in first.tasks() {
            assert_eq!(t.state, b'S', "tid {} state in the first pass", t.tid);
            assert_eq!(t.comm.as_bytes(), format!("t{}", t.tid).as_bytes());
            assert_eq!(t.processor, Some((t.tid % 2) as u16));
            seen += 1;
        }
        assert_eq!(seen, PROCS * THREADS, "every task in the first pass");
        run_ticks(scanner, dir.path());
        write_tick(dir.path(), 0);
    }
}

/// Two processes list one TID with one start time (a thread of the first exited during the
/// scan and its TID went to a thread of the second, started in the same tick): the snapshot
/// keeps the later read only, and the scanner keeps no descriptor for the one left out.
#[test]
fn a_task_left_out_as_a_repeated_key_keeps_no_descriptor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    let now_ticks = (now.tv_sec as u64) * 100 + (now.tv_nsec as u64) / 10_000_000;
    let start = now_ticks + 100;
    for (tgid, tid) in [(100u32, 100u32), (100, 150), (200, 200), (200, 150)] {
        let d = dir.path().join(format!("{tgid}/task/{tid}"));
        fs::create_dir_all(&d).expect("mkdir");
        let line = format!(
            "{tid} (t{tid}) S 1 {tgid} {tgid} 0 -1 0 0 0 0 0 1 0 0 0 20 0 2 0 {start} 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
        );
        fs::write(d.join("stat"), line).expect("write stat");
        fs::write(d.join("schedstat"), "1000 0 1\n").expect("write schedstat");
    }
    fs::write(dir.path().join("uptime"), "100.00 100.00\n").expect("write");
    let mut scanner = Scanner::with_fd_limit(dir.path(), 10_000);
    let snap = scanner.scan(&DetailPlan::default());
    let where_150: Vec<u32> = snap
        .processes
        .iter()
        .filter(|p| p.tasks.iter().any(|t| t.tid == 150))
        .map(|p| p.tgid)
        .collect();
    assert_eq!(where_150, vec![200], "the later read is kept");
    assert_eq!(snap.task_count(), 3);
    // stat and schedstat of the three tasks shown, and the two task directories.
    assert_eq!(scanner.kept_descriptors(), 2 * 3 + 2);
}
