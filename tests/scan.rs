//! The scanner against a fabricated /proc tree: hostile names, truncated and missing files,
//! tasks that vanished between listing and reading. No real /proc involved.

mod support;

use std::fs;
use std::path::Path;

use threadtop::collect::{DetailPlan, Scanner, Unreadable};

fn stat_line(
    tid: u32,
    comm: &[u8],
    state: char,
    ppid: u32,
    flags: u32,
    start: u64,
    cpu: u32,
) -> Vec<u8> {
    let mut v = format!("{tid} (").into_bytes();
    v.extend_from_slice(comm);
    v.extend_from_slice(
        format!(
            ") {state} {ppid} {tid} {tid} 0 -1 {flags} 0 0 0 0 250 50 0 0 20 0 1 0 {start} 1000 77 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 {cpu} 0 0 0 0 0\n"
        )
        .as_bytes(),
    );
    v
}

fn task(
    root: &Path,
    tgid: u32,
    tid: u32,
    stat: &[u8],
    schedstat: Option<&str>,
    status: Option<&str>,
) {
    let dir = root.join(format!("{tgid}/task/{tid}"));
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("stat"), stat).expect("write");
    if let Some(s) = schedstat {
        fs::write(dir.join("schedstat"), s).expect("write");
    }
    if let Some(s) = status {
        fs::write(dir.join("status"), s).expect("write");
    }
}

fn fake_proc() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    // A process with a hostile leader name and two threads.
    task(
        root,
        10,
        10,
        &stat_line(10, b"a) R 1 (\x1b[31m", 'S', 1, 0, 500, 1),
        Some("1000 20 3\n"),
        Some(
            "Name:\tx\nCpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n",
        ),
    );
    task(
        root,
        10,
        11,
        &stat_line(11, b"worker\n1", 'R', 1, 0, 510, 0),
        Some("5000000 100 9\n"),
        None,
    );
    // A thread whose stat was cut short by its death mid-read: kept as malformed.
    task(root, 10, 12, b"12 (dying) ", Some("1 1 1\n"), None);
    // A thread listed in task/ but gone before we read it: silently skipped.
    fs::create_dir_all(root.join("10/task/13")).expect("mkdir");
    fs::write(
        root.join("10/cmdline"),
        b"/usr/bin/evil\0--title\0\x1b]0;pwned\x07\0",
    )
    .expect("write");
    // A kernel thread without schedstat (kernel built without CONFIG_SCHED_INFO).
    task(
        root,
        2,
        2,
        &stat_line(2, b"kthreadd", 'S', 0, 0x0020_8040, 2, 0),
        None,
        None,
    );
    // A process whose task directory vanished entirely.
    fs::create_dir_all(root.join("99")).expect("mkdir");
    // Not a process.
    fs::create_dir_all(root.join("sys")).expect("mkdir");
    fs::write(
        root.join("stat"),
        "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n",
    )
    .expect("write");
    fs::write(root.join("loadavg"), "0.10 0.20 0.30 2/90 1234\n").expect("write");
    fs::write(root.join("uptime"), "123.45 200.00\n").expect("write");
    dir
}

#[test]
fn scans_hostile_and_broken_entries_without_losing_the_rest() {
    let dir = fake_proc();
    let mut scanner = Scanner::new(dir.path());
    let snap = scanner.scan(&DetailPlan::default());
    let tgids: Vec<u32> = snap.processes.iter().map(|p| p.tgid).collect();
    assert_eq!(tgids, vec![2, 10]);

    let p = &snap.processes[1];
    assert_eq!(
        p.cmdline.as_deref().expect("cmdline"),
        b"/usr/bin/evil\0--title\0\x1b]0;pwned\x07"
    );
    assert_eq!(p.rss_bytes, 77 * snap.page_size);
    let tids: Vec<u32> = p.tasks.iter().map(|t| t.tid).collect();
    assert_eq!(tids, vec![10, 11, 12], "leader first, vanished 13 skipped");

    let leader = &p.tasks[0];
    assert_eq!(leader.comm, b"a) R 1 (\x1b[31m");
    assert_eq!(leader.state, b'S');
    assert_eq!(leader.ppid, 1);
    assert_eq!(leader.start_ticks, 500);
    assert_eq!(leader.processor, Some(1));
    assert_eq!((leader.utime_ticks, leader.stime_ticks), (250, 50));
    assert_eq!(leader.schedstat.expect("schedstat").run_ns, 1000);
    assert!(leader.detail().is_none(), "status not asked for");

    assert_eq!(p.tasks[1].comm, b"worker\n1");
    assert_eq!(p.tasks[1].state, b'R');
    assert_eq!(p.tasks[2].stat_error, Some(Unreadable::Malformed));

    let k = &snap.processes[0];
    assert!(k.is_kernel());
    assert_eq!(k.tasks[0].schedstat, Err(Unreadable::Absent));
    assert_eq!(k.cmdline.as_deref().expect("empty"), b"");

    assert!(snap.notes.vanished >= 2, "{:?}", snap.notes);
    assert_eq!(snap.notes.malformed, 1);
    assert_eq!(snap.system.cpus.len(), 1);
    assert_eq!(snap.system.load, Some([0.1, 0.2, 0.3]));
    assert_eq!(snap.system.uptime_secs, Some(123.45));
}

#[test]
fn status_is_read_only_for_the_planned_tasks() {
    let dir = fake_proc();
    let mut scanner = Scanner::new(dir.path());
    let plan = DetailPlan {
        all: false,
        tids: [10].into(),
        ..DetailPlan::default()
    };
    let snap = scanner.scan(&plan);
    let p = &snap.processes[1];
    let d = p.tasks[0]
        .detail()
        .cloned()
        .expect("asked")
        .expect("readable");
    assert_eq!((d.voluntary_switches, d.involuntary_switches), (7, 2));
    assert_eq!(d.cpus_allowed, "0-1");
    assert!(p.tasks[1].detail().is_none());

    let all = scanner.scan(&DetailPlan::all());
    // Asked but the file is missing: marked, not dropped.
    assert!(matches!(all.processes[1].tasks[1].detail(), Some(Err(_))));
}

#[test]
fn rows_on_screen_get_a_fresh_command_line_but_no_status() {
    let dir = fake_proc();
    let mut scanner = Scanner::new(dir.path());
    let screen = DetailPlan {
        screen: [10].into(),
        ..DetailPlan::default()
    };
    let first = scanner.scan(&screen);
    assert!(
        first.tasks().all(|t| t.detail().is_none()),
        "no status asked"
    );
    let cmdline = |snap: &threadtop::collect::Snapshot| {
        let p = snap.processes.iter().find(|p| p.tgid == 10).expect("10");
        p.cmdline.clone().expect("readable")
    };
    let before = cmdline(&first);
    // setproctitle: same process, same comm and start time, new argv.
    std::fs::write(dir.path().join("10/cmdline"), b"renamed\0--by-itself\0").expect("write");
    let on_screen = scanner.scan(&screen);
    assert_ne!(cmdline(&on_screen), before);
    assert_eq!(cmdline(&on_screen), b"renamed\0--by-itself");
    let kept = scanner.kept_descriptors();
    // Off screen the cached one is kept (it is re-read when the row shows up again), and
    // the descriptor kept for re-reading it goes.
    std::fs::write(dir.path().join("10/cmdline"), b"again\0").expect("write");
    let off = scanner.scan(&DetailPlan::default());
    assert_eq!(cmdline(&off), b"renamed\0--by-itself");
    assert_eq!(scanner.kept_descriptors(), kept - 1);
    assert_eq!(cmdline(&scanner.scan(&screen)), b"again");
}

/// /proc is not listed when no PID was handed out since the last scan (`loadavg`'s last
/// PID); a process that started is still seen at once, and one that ended is gone at once.
#[test]
fn processes_that_start_and_end_between_scans_are_seen_at_once() {
    let mut scanner = support::proc_scanner();
    // The child is its PID and start time: a PID is soon another process's where PIDs are
    // scarce ("still gone" failed with 25,000 of 32,768 PIDs in use and threads churning).
    let has = |scanner: &mut Scanner, pid: u32, start: u64| {
        scanner
            .scan(&DetailPlan::default())
            .processes
            .iter()
            .any(|p| p.tgid == pid && p.tasks.first().is_some_and(|t| t.start_ticks == start))
    };
    for _ in 0..5 {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        let pid = child.id();
        let stat = std::fs::read(format!("/proc/{pid}/stat")).expect("the child's stat");
        let start = threadtop::collect::parse::parse_stat(&stat)
            .expect("parses")
            .starttime;
        assert!(has(&mut scanner, pid, start), "started");
        assert!(has(&mut scanner, pid, start), "still there");
        child.kill().expect("kill");
        child.wait().expect("reaped");
        assert!(!has(&mut scanner, pid, start), "ended");
        assert!(!has(&mut scanner, pid, start), "still gone");
    }
}

#[test]
fn system_files_are_fresh_each_scan() {
    let dir = fake_proc();
    let mut scanner = Scanner::new(dir.path());
    let first = scanner.scan(&DetailPlan::default());
    assert_eq!(first.system.load, Some([0.1, 0.2, 0.3]));
    assert_eq!(first.system.uptime_secs, Some(123.45));
    // Rewritten in place, as the kernel's are: kept descriptors must see the new text.
    std::fs::write(dir.path().join("loadavg"), "1.50 0.25 0.05 3/91 1300\n").expect("write");
    std::fs::write(dir.path().join("uptime"), "124.50 201.00\n").expect("write");
    let mut stat = String::from("cpu  9 2 3 4 5 6 7 8 0 0\n");
    for cpu in 0..400 {
        // Longer than the first read buffer: read whole all the same.
        stat.push_str(&format!("cpu{cpu} 1 2 3 4 5 6 7 8 0 0\n"));
    }
    std::fs::write(dir.path().join("stat"), &stat).expect("write");
    let second = scanner.scan(&DetailPlan::default());
    assert_eq!(second.system.load, Some([1.5, 0.25, 0.05]));
    assert_eq!(second.system.uptime_secs, Some(124.5));
    assert_eq!(second.system.cpus.len(), 400);
    assert_eq!(second.system.cpu_total.user, 9);
}

#[test]
fn long_command_lines_are_read_whole_up_to_16_kib() {
    let dir = fake_proc();
    let cmdline = |snap: &threadtop::collect::Snapshot| {
        let p = snap.processes.iter().find(|p| p.tgid == 10).expect("10");
        p.cmdline.clone().expect("readable")
    };
    for len in [
        8 * 1024 - 1,
        8 * 1024,
        8 * 1024 + 1,
        12_345,
        16 * 1024,
        40_000,
    ] {
        let argv: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        let mut file = argv.clone();
        file.push(0);
        std::fs::write(dir.path().join("10/cmdline"), &file).expect("write");
        let want = &argv[..len.min(16 * 1024)];
        // Off screen (read once, then cached), and on screen (kept open, re-read).
        let off = Scanner::new(dir.path()).scan(&DetailPlan::default());
        assert_eq!(cmdline(&off), want, "{len} off screen");
        let mut scanner = Scanner::new(dir.path());
        let screen = DetailPlan {
            screen: [10].into(),
            ..DetailPlan::default()
        };
        for _ in 0..2 {
            assert_eq!(cmdline(&scanner.scan(&screen)), want, "{len} on screen");
        }
    }
}

/// A process whose thread count matches the threads kept from the last scan is not
/// listed again; a thread that ended and another that started in between keep the count
/// the same, and the new one must still be seen in that same scan. The real /proc, with
/// threads of this test process (other tests' threads come and go too: either way).
#[test]
fn a_thread_that_replaced_another_is_seen_at_once() {
    use std::sync::mpsc;
    fn start() -> (u32, mpsc::Sender<()>, std::thread::JoinHandle<()>) {
        let (tid_tx, tid_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let h = std::thread::spawn(move || {
            let _ = tid_tx.send(rustix::thread::gettid().as_raw_nonzero().get() as u32);
            let _ = stop_rx.recv();
        });
        (tid_rx.recv().expect("tid"), stop_tx, h)
    }
    let me = std::process::id();
    let mut scanner = support::proc_scanner();
    let tids = |scanner: &mut Scanner| -> Vec<u32> {
        let snap = scanner.scan(&DetailPlan::default());
        let p = snap.processes.iter().find(|p| p.tgid == me).expect("me");
        p.tasks.iter().map(|t| t.tid).collect()
    };
    for _ in 0..20 {
        let (a, stop_a, join_a) = start();
        assert!(tids(&mut scanner).contains(&a));
        let (b, stop_b, join_b) = start();
        drop(stop_a);
        join_a.join().expect("a");
        let now = tids(&mut scanner);
        assert!(now.contains(&b) && !now.contains(&a), "{a} -> {b}: {now:?}");
        drop(stop_b);
        join_b.join().expect("b");
    }
}

#[test]
fn scanning_the_real_proc_finds_ourselves_and_kthreadd() {
    let mut scanner = support::proc_scanner();
    let snap = scanner.scan(&DetailPlan::all());
    let me = std::process::id();
    let p = snap
        .processes
        .iter()
        .find(|p| p.tgid == me)
        .expect("this test process is listed");
    assert_eq!(p.tasks[0].tid, me);
    assert!(!p.is_kernel());
    let d = p.tasks[0]
        .detail()
        .cloned()
        .expect("asked")
        .expect("own status readable");
    assert!(!d.cpus_allowed.is_empty());
    match snap.processes.iter().find(|p| p.tgid == 2) {
        Some(k) => assert!(k.is_kernel(), "kthreadd carries PF_KTHREAD"),
        None => eprintln!("skipped kthreadd check: PID 2 not visible in this /proc (container?)"),
    }
    assert!(!snap.system.cpus.is_empty());
}
