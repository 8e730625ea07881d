//! `-p`: the scanner reads only the chosen processes, not every task on the machine (with
//! `--json -p PID` at 20,000 tasks a tick took 4.4-4.8 s; it now costs what PID's tasks
//! cost). A fabricated /proc whose other process is malformed shows it: nothing of that
//! process is read, so nothing of it is noted.

use std::fs;
use std::path::Path;

use threadtop::collect::{DetailPlan, Scanner};

fn write_task(root: &Path, tgid: u32, tid: u32, stat: &str) {
    let dir = root.join(format!("{tgid}/task/{tid}"));
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("stat"), stat).expect("write stat");
    fs::write(dir.join("schedstat"), "1000 0 1\n").expect("write schedstat");
}

fn stat(tid: u32, tgid: u32, threads: u32) -> String {
    format!(
        "{tid} (t{tid}) S 1 {tgid} {tgid} 0 -1 0 0 0 0 0 1 0 0 0 20 0 {threads} 0 {tid} 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    )
}

#[test]
fn only_the_chosen_processes_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for tid in [100, 101] {
        write_task(root, 100, tid, &stat(tid, 100, 2));
    }
    // Another process whose files do not parse: reading it would be noted.
    write_task(root, 200, 200, "garbage\n");
    fs::write(root.join("uptime"), "100.00 100.00\n").expect("write");

    let all = Scanner::new(root).scan(&DetailPlan::all());
    assert!(
        all.notes.malformed > 0,
        "the fixture's bad process is noticed when read"
    );

    let mut only = Scanner::new(root).only(&[100]);
    for _ in 0..2 {
        let s = only.scan(&DetailPlan::all());
        assert_eq!(s.processes.len(), 1);
        assert_eq!(s.processes[0].tgid, 100);
        assert_eq!(s.processes[0].tasks.len(), 2);
        assert_eq!(s.notes.malformed, 0, "process 200 was read");
        // Said so: a task missing from it may still run (the event source keeps its entry).
        assert!(s.partial);
    }
    // The detail plan carries `-p` for the collector thread (the UI) the same way.
    let plan = DetailPlan {
        pids: vec![100],
        ..DetailPlan::all()
    };
    let s = Scanner::new(root).scan(&plan);
    assert_eq!(s.processes.len(), 1);
    assert!(s.partial);
    assert!(
        !Scanner::new(root).scan(&DetailPlan::all()).partial,
        "the whole machine"
    );
    assert_eq!(s.notes.malformed, 0);
    // A PID that is no process is simply not there.
    let s = Scanner::new(root).only(&[4242]).scan(&DetailPlan::all());
    assert!(s.processes.is_empty());
}
