//! The report the end-to-end tests of threadtop parse, checked on the real binary.
//!
//! This file is also why `cargo test` at the repository root builds
//! `target/debug/threadtop-workload`: cargo builds a package's binaries only when that
//! package has integration tests. Without it a clean clone's `cargo test` ran threadtop's
//! end-to-end tests with no workload to start (CI, stop 20: 30 tests failed that way).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn reports_its_pid_then_each_named_thread_then_end_and_exits_on_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_threadtop-workload"))
        .args(["--name", "wl-report", "--busy", "1", "--sleep", "2"])
        .args([
            "--thread-name",
            "a\\b\u{7}",
            "--exit-on-eof",
            "--seconds",
            "60",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the workload starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| l != "end")
        .collect();
    let pid = child.id();
    assert_eq!(lines.first(), Some(&format!("ready {pid}")), "{lines:?}");
    let threads: Vec<(u32, &str)> = lines[1..]
        .iter()
        .map(|l| {
            let rest = l.strip_prefix("thread ").expect("thread TID NAME");
            let (tid, name) = rest.split_once(' ').expect("TID NAME");
            (tid.parse().expect("numeric TID"), name)
        })
        .collect();
    // The main thread first; the others in the order they started, which threads race for,
    // so compared sorted: the hostile name is escaped, `stdin-eof` watches for EOF.
    assert_eq!(threads.first(), Some(&(pid, "wl-report")), "{threads:?}");
    let mut names: Vec<&str> = threads[1..].iter().map(|t| t.1).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["a\\x5cb\\x07", "busy-0", "sleep-0", "sleep-1", "stdin-eof"],
        "{threads:?}"
    );
    for (tid, _) in &threads {
        assert!(
            std::path::Path::new(&format!("/proc/{pid}/task/{tid}")).exists(),
            "thread {tid} is in /proc"
        );
    }
    drop(child.stdin.take());
    let status = child.wait().expect("the workload exits on EOF");
    assert!(status.success(), "{status:?}");
}
