//! The BPF programs that read every task (the walk, kernel 6.7+, and iter/task, its
//! fall-back) against the /proc scanner and against each other, on the same tasks:
//! identities, states, CPUs and priorities exactly where they cannot move (sleeping
//! threads that never wake), run time ordered between two /proc reads for a busy thread;
//! processes the kernel hides from a program read whole from /proc; the walk's map
//! growing past its room; the live display and `--json` using the walk (and saying why
//! not). Skips, saying why, where a program cannot load (not root, no BTF, an old
//! kernel).

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use threadtop::collect::task_iter::{Kind, TaskIter, TaskRec, TaskSource};
use threadtop::collect::{DetailPlan, ProcessInfo, Scanner, Snapshot, TaskInfo};

/// A scanner reading tasks with `kind`'s program, `None` (said why) where it cannot load.
fn iter_scanner(kind: Kind) -> Option<Scanner> {
    let mut s = Scanner::new("/proc").with_loaded_task_iter(TaskIter::load_only(Some(kind)));
    let snap = s.scan(&DetailPlan::default());
    match &snap.task_source {
        TaskSource::Iterator(k) if *k == kind => Some(s),
        other => {
            eprintln!(
                "SKIPPED: the BPF {} cannot run here: {other:?}",
                kind.name()
            );
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
fn the_walk_and_proc_agree_on_the_same_tasks() {
    program_and_proc_agree(Kind::Walk);
}

#[test]
fn iter_task_and_proc_agree_on_the_same_tasks() {
    program_and_proc_agree(Kind::IterTask);
}

fn program_and_proc_agree(kind: Kind) {
    let Some(mut iter) = iter_scanner(kind) else {
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
    assert_eq!(it.task_source, TaskSource::Iterator(kind));
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

/// TIDs /proc lists for process `pid` (sorted), `None` when it is gone.
fn proc_tids(pid: u32) -> Option<Vec<u32>> {
    let mut v: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    v.sort_unstable();
    Some(v)
}

fn proc_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Thread groups one pass of the iterator lists.
fn iterated_tgids(it: &mut TaskIter) -> HashSet<u32> {
    let mut recs = Vec::new();
    it.read(&mut recs).expect("a pass");
    recs.iter().map(|r| r.tgid).collect()
}

/// A process /proc lists and the iterator does not (on the project's machine: PID 1, the
/// VM's agent, whose whole thread group its kernel leaves out of task iterators, as it
/// refuses even root ptrace access to it) is read whole from /proc: every task, with its
/// schedstat, in the iterator scanner's snapshot.
#[test]
fn processes_iter_task_does_not_list_are_read_from_proc() {
    unlisted_processes_are_read_from_proc(Kind::IterTask);
}

#[test]
fn processes_the_walk_does_not_list_are_read_from_proc() {
    unlisted_processes_are_read_from_proc(Kind::Walk);
}

fn unlisted_processes_are_read_from_proc(kind: Kind) {
    let Some(mut scanner) = iter_scanner(kind) else {
        return;
    };
    let mut it = TaskIter::load_only(Some(kind)).expect("loads where the scanner's did");
    // Not listed by a pass before and a pass after /proc was listed: hidden, not new.
    let before = iterated_tgids(&mut it);
    let listed = proc_pids();
    let after = iterated_tgids(&mut it);
    let hidden: Vec<u32> = listed
        .into_iter()
        .filter(|p| !before.contains(p) && !after.contains(p))
        .collect();
    if hidden.is_empty() {
        eprintln!(
            "SKIPPED: the {} lists every process here (none hidden to fall back for)",
            kind.name()
        );
        return;
    }
    eprintln!("processes the {} does not list: {hidden:?}", kind.name());
    let plan = DetailPlan::default();
    let mut checked = 0;
    for pid in hidden {
        // Poll until its task list holds still around a scan (or it is gone).
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(tids) = proc_tids(pid) {
            let snap = scanner.scan(&plan);
            assert_eq!(snap.task_source, TaskSource::Iterator(kind));
            if proc_tids(pid).as_ref() != Some(&tids) {
                assert!(
                    Instant::now() < deadline,
                    "{pid}'s threads never held still"
                );
                continue;
            }
            let p = process(&snap, pid);
            let got = p.tasks.iter().map(|t| t.tid).collect::<Vec<_>>();
            assert_eq!(got, tids.tap_leader(pid), "every task of {pid}");
            for t in &p.tasks {
                assert!(t.schedstat.is_ok(), "{pid}/{}: schedstat from /proc", t.tid);
            }
            checked += 1;
            break;
        }
    }
    assert!(
        checked > 0,
        "every hidden process vanished before it could be checked"
    );
}

/// Descriptors `pid` holds on the `schedstat` of `w`'s threads other than its leader (the
/// /proc path keeps one per task; the iterator path none). Not `stat`: the wait sampler
/// keeps the `stat` of the tasks it samples for WHY (every task of a process on screen),
/// on either path.
fn thread_files_held(pid: u32, w: u32) -> usize {
    let prefix = format!("/proc/{w}/task/");
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter(|l| {
                    let l = l.to_string_lossy();
                    l.strip_prefix(&prefix).is_some_and(|rest| {
                        let (tid, file) = rest.split_once('/').unwrap_or((rest, ""));
                        tid != w.to_string() && file == "schedstat"
                    })
                })
                .count()
        })
        .unwrap_or(0)
}

fn leader_stat_held(pid: u32, w: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|d| {
        d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .any(|l| l.to_string_lossy() == format!("/proc/{w}/task/{w}/stat"))
    })
}

/// IDs of the BPF programs `pid` holds (from its descriptors' fdinfo).
fn programs_held(pid: u32) -> HashSet<u32> {
    std::fs::read_dir(format!("/proc/{pid}/fdinfo"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter_map(|info| {
                    info.lines()
                        .find_map(|l| l.strip_prefix("prog_id:"))
                        .and_then(|id| id.trim().parse().ok())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `pid` holds a program that reads every task: the walk's (`tt_walk_tasks`) or
/// iter/task's (`dump_task`).
fn holds_task_iter(pid: u32) -> bool {
    let held = programs_held(pid);
    let names = [threadtop::collect::task_iter::walk::PROG_NAME, "dump_task"];
    aya::programs::loaded_programs()
        .filter_map(Result::ok)
        .any(|p| held.contains(&p.id()) && p.name_as_str().is_some_and(|n| names.contains(&n)))
}

/// The live display reads tasks with the iterator when the events load (the default
/// `--events auto`, in the background): it holds the iterator's program, and once it reads
/// from it, no descriptor on the workload's threads' files, only on its leader's (read
/// from /proc for RSS). With `--events off` it
/// holds no such program and, where the descriptor limit lets it keep every task's files,
/// keeps both files of every thread open: this test tells the two paths apart.
#[test]
fn the_live_display_reads_tasks_with_the_iterator() {
    if let Err(why) = TaskIter::load() {
        eprintln!("SKIPPED: the BPF task iterator cannot run here: {why}");
        return;
    }
    let w = support::workload(&["--name", "ttlive", "--sleep", "30"]);
    let wait = |pty: &support::Pty, what: &str, ok: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ok() {
            assert!(pty.exit_status().is_none(), "threadtop exited");
            assert!(Instant::now() < deadline, "{what}: not within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let pty = support::spawn(&["--delay", "0.2"], &[], 120, 40);
    wait(&pty, "the iterator loaded", &|| holds_task_iter(pty.pid()));
    wait(&pty, "the leader read from /proc", &|| {
        leader_stat_held(pty.pid(), w.pid)
    });
    // The events (and the iterator with them) load in the background: the scans before
    // kept the threads' files, closed by the first scan that reads them from the iterator.
    wait(&pty, "the threads' files closed", &|| {
        thread_files_held(pty.pid(), w.pid) == 0
    });
    // Over the next ticks (the leader's file is read each one), no thread's file is opened.
    for _ in 0..10 {
        assert_eq!(
            thread_files_held(pty.pid(), w.pid),
            0,
            "the live display opened the threads' files: not the iterator"
        );
        assert!(holds_task_iter(pty.pid()), "the iterator was dropped");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(pty);
    // The /proc path: every thread's files are kept, where the limit allows.
    let off = support::spawn(&["--delay", "0.2", "--events", "off"], &[], 120, 40);
    wait(&off, "the leader read from /proc", &|| {
        leader_stat_held(off.pid(), w.pid)
    });
    assert!(
        !holds_task_iter(off.pid()),
        "--events off loaded the iterator"
    );
    let tasks = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            l.split_whitespace()
                .nth(3)?
                .split_once('/')?
                .1
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(u64::MAX);
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .unwrap_or(u64::MAX);
    if tasks.saturating_mul(2) + 1000 < limit {
        wait(&off, "--events off keeps every thread's files", &|| {
            thread_files_held(off.pid(), w.pid) == 30
        });
    } else {
        eprintln!(
            "SKIPPED (the /proc half's descriptors): {tasks} tasks on the machine, two files each do not fit the limit of {limit}"
        );
    }
}

fn json_system(args: &[&str]) -> serde_json::Value {
    let out = support::command()
        .args(["--json", "--delay", "0.2"])
        .args(args)
        .output()
        .expect("run --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v["system"].clone()
}

/// `system.task_source` says where the tasks came from, and why not the iterator: the
/// iterator by default where it loads; /proc with `--events off`, with `-p`, and for a
/// user who may not load BPF, each with its reason.
#[test]
fn json_says_where_tasks_came_from() {
    let w = support::workload(&["--name", "ttsrc", "--sleep", "2"]);
    let off = json_system(&["--events", "off"]);
    assert_eq!(off["task_source"], "proc");
    assert!(
        off["task_source_why_not"]
            .as_str()
            .is_some_and(|w| w.contains("--events off")),
        "{off}"
    );
    match TaskIter::load() {
        Ok(_) => {
            let auto = json_system(&[]);
            assert_eq!(auto["task_source"], "bpf_iterator", "{auto}");
            assert!(auto["task_source_why_not"].is_null(), "{auto}");
            let program = match TaskIter::load_only(Some(Kind::Walk)) {
                Ok(_) => "task_walk",
                Err(_) => "iter_task",
            };
            assert_eq!(auto["task_program"], program, "{auto}");
            let pid = json_system(&["-p", &w.pid.to_string()]);
            assert_eq!(pid["task_source"], "proc");
            assert!(pid["task_program"].is_null(), "{pid}");
            assert!(
                pid["task_source_why_not"]
                    .as_str()
                    .is_some_and(|w| w.starts_with("-p")),
                "{pid}"
            );
        }
        Err(why) => eprintln!("SKIPPED (iterator half): it cannot run here: {why}"),
    }
    // Unprivileged: /proc, with the reason.
    if let Some(out) = support::as_nobody(
        "json_says_where_tasks_came_from",
        &["--json", "--delay", "0.2", "--events", "auto"],
    ) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(v["system"]["task_source"], "proc");
        assert!(
            v["system"]["task_source_why_not"]
                .as_str()
                .is_some_and(|w| !w.is_empty()),
            "{}",
            v["system"]
        );
    }
}

/// The walk and iter/task write the same record for a task that does not move: the
/// workload's sleeping threads, read by the walk, iter/task and the walk again (each
/// field equal in all three, so neither program reads a field the other does not).
#[test]
fn the_walk_and_iter_task_write_the_same_records() {
    let (mut walk, mut iter) = match (
        TaskIter::load_only(Some(Kind::Walk)),
        TaskIter::load_only(Some(Kind::IterTask)),
    ) {
        (Ok(w), Ok(i)) => (w, i),
        (w, i) => {
            eprintln!(
                "SKIPPED: both programs are needed: walk {:?}, iter/task {:?}",
                w.err(),
                i.err()
            );
            return;
        }
    };
    let w = support::workload(&["--name", "ttsame", "--sleep", "12"]);
    let sleepers = |recs: &[TaskRec]| {
        let mut v: Vec<TaskRec> = recs
            .iter()
            .filter(|r| r.tgid == w.pid && r.comm.starts_with(b"sleep-"))
            .copied()
            .collect();
        v.sort_by_key(|r| r.tid);
        v
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        walk.read(&mut a).expect("a walk");
        iter.read(&mut b).expect("an iter/task pass");
        walk.read(&mut c).expect("a walk");
        let (x, y, z) = (sleepers(&a), sleepers(&b), sleepers(&c));
        // All twelve asleep in all three reads, and none moved between the walks.
        if x.len() == 12 && x == z && x.iter().all(|r| r.state_letter() == b'S') {
            assert_eq!(x, y, "the walk and iter/task disagree on sleeping threads");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sleepers never held still: {x:?}\n{z:?}"
        );
    }
    // Every task once: no TID twice in a walk.
    let mut tids: Vec<u32> = c.iter().map(|r| r.tid).collect();
    let n = tids.len();
    tids.sort_unstable();
    tids.dedup();
    assert_eq!(tids.len(), n, "a TID listed twice by the walk");
}

/// A walk that finds more tasks than its map holds grows the map, loads the program
/// again, and returns every task of that pass: started with room for 64 records, with a
/// 200-thread workload on the machine (the load's own check pass finds them all).
#[test]
fn the_walk_grows_its_map_when_tasks_outnumber_it() {
    let w = support::workload(&["--name", "ttgrow", "--sleep", "199"]);
    let Some(mut walk) = walk_or_skip(TaskIter::load_walk_sized(64)) else {
        return;
    };
    let mut recs = Vec::new();
    walk.read(&mut recs).expect("a walk");
    let room = walk.walk_capacity().expect("still the walk");
    assert!(
        room > 64 && room as usize >= recs.len() && recs.len() > 200,
        "room for {room}, {} records",
        recs.len()
    );
    let listed: HashSet<u32> = recs.iter().map(|r| r.tid).collect();
    assert_eq!(listed.len(), recs.len(), "a TID listed twice");
    for tid in w.tids() {
        assert!(
            listed.contains(&tid),
            "thread {tid} of the workload not walked"
        );
    }
}

/// The walk that loaded, or `None` with the reason printed.
fn walk_or_skip(loaded: Result<TaskIter, String>) -> Option<TaskIter> {
    loaded
        .map_err(|why| eprintln!("SKIPPED: the BPF task walk cannot run here: {why}"))
        .ok()
}

/// The walk maps into threadtop only the part of its map the last pass wrote and an
/// eighth more (the kernel maps every page of a mapping at once, so all of it would count
/// in RSS), though the map holds twice the machine's tasks; a pass that writes beyond what
/// is mapped maps more. Other tests' tasks come and go meanwhile: every check is against
/// what the pass in hand wrote.
#[test]
fn the_walk_maps_only_the_records_a_pass_wrote() {
    let Some(mut walk) = walk_or_skip(TaskIter::load_only(Some(Kind::Walk))) else {
        return;
    };
    let record = threadtop::collect::task_iter::RECORD_LEN;
    let page = 4096;
    // The mapping a pass of `n` records needs: n, whole pages.
    let wanted = |n: usize| (n * record).div_ceil(page) * page;
    let mut recs = Vec::new();
    walk.read(&mut recs).expect("a walk");
    let room = walk.walk_capacity().expect("the walk") as usize;
    let mapped = walk.walk_mapped_bytes().expect("the walk");
    assert!(
        mapped >= recs.len() * record && mapped <= wanted(recs.len()).min(room * record + page),
        "{mapped} bytes mapped for {} records, room for {room}",
        recs.len()
    );
    assert!(mapped < room * record, "the whole map is mapped");
    // More tasks than the mapping holds: a workload as big as the machine, read until
    // all its threads are in one pass.
    let more = recs.len().max(300);
    let w = support::workload(&["--name", "ttmapped", "--sleep", &more.to_string()]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        walk.read(&mut recs).expect("a walk");
        let listed: HashSet<u32> = recs.iter().map(|r| r.tid).collect();
        if w.tids().iter().all(|t| listed.contains(t)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the workload's threads never all walked"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let now = walk.walk_mapped_bytes().expect("the walk");
    let room = walk.walk_capacity().expect("the walk") as usize;
    // Every record of the pass is readable, and the mapping grew only if it had to.
    assert!(
        now >= recs.len() * record && now <= room * record + page,
        "{now} bytes mapped for {} records, room for {room}",
        recs.len()
    );
    if recs.len() * record > mapped {
        assert!(
            now > mapped,
            "{} records, still {mapped} bytes mapped",
            recs.len()
        );
    } else {
        assert_eq!(now, mapped, "mapped again without need");
    }
}

/// Released between passes, the walk's records are not mapped (not in RSS); asked for
/// again they are mapped again, the same, and the next pass reads as before.
#[test]
fn released_records_are_unmapped_until_the_next_pass() {
    let Some(mut walk) = walk_or_skip(TaskIter::load_only(Some(Kind::Walk))) else {
        return;
    };
    let mut recs = Vec::new();
    walk.read(&mut recs).expect("a walk");
    assert!(walk.walk_mapped_bytes().expect("the walk") > 0);
    let before = walk.records().to_vec();
    walk.release();
    assert_eq!(walk.walk_mapped_bytes(), Some(0));
    assert_eq!(walk.records(), &before[..], "the same pass's records again");
    walk.read(&mut recs).expect("a walk after the release");
    assert!(walk.walk_mapped_bytes().expect("the walk") > 0);
    let me = std::process::id();
    assert!(recs.iter().any(|r| r.tid == me), "this test listed again");
}

/// What the scanner reads: a pass whose records are copied out a window at a time, so
/// that at most a window (128 KiB and a record) is mapped at once, however many tasks;
/// read in any order, every record is the one the whole mapping holds. The workload
/// makes the pass span many windows (3,000 threads are 400 KiB of records).
#[test]
fn a_windowed_pass_reads_every_record_with_little_mapped() {
    let Some(mut walk) = walk_or_skip(TaskIter::load_only(Some(Kind::Walk))) else {
        return;
    };
    let record = threadtop::collect::task_iter::RECORD_LEN;
    let w = support::workload(&["--name", "ttwindow", "--sleep", "3000"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let n = loop {
        let n = walk.pass().expect("a windowed pass");
        let listed: HashSet<u32> = (0..n)
            .filter_map(|i| walk.record(i))
            .filter_map(|r| TaskRec::parse(&r))
            .map(|r| r.tid)
            .collect();
        if w.tids().iter().all(|t| listed.contains(t)) {
            break n;
        }
        assert!(
            Instant::now() < deadline,
            "the workload's threads never all walked"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        n * record > 3 * 128 * 1024,
        "{n} records span a few windows"
    );
    assert!(walk.record(n).is_none(), "nothing past the pass");
    // Backwards, then from both ends: the window moves wherever it is asked to.
    let mut most = 0;
    let mut got = vec![None; n];
    for i in (0..n).rev().chain((0..n / 2).flat_map(|i| [i, n - 1 - i])) {
        let r = walk.record(i).expect("a record of the pass");
        if let Some(prev) = got[i] {
            assert_eq!(prev, r, "record {i} read twice differs");
        }
        got[i] = Some(r);
        most = most.max(walk.walk_mapped_bytes().expect("the walk"));
    }
    assert!(
        most <= 128 * 1024 + 2 * 4096 && most > 0,
        "{most} bytes mapped at once"
    );
    // The same bytes as the pass mapped whole.
    let whole = walk.records().to_vec();
    assert_eq!(whole.len(), n * record);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(
            r.as_ref().map(|r| &r[..]),
            Some(&whole[i * record..(i + 1) * record]),
            "record {i}"
        );
    }
}
