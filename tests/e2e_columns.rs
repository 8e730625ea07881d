//! The memory and I/O columns through the real binary in a pseudo-terminal: chosen with
//! `--columns`, sorted with `--sort`, on the test workload's writer thread.

mod support;

use std::time::Duration;

use support::{spawn, workload};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn memory_and_io_columns_through_the_binary() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let file = dir.path().join("written");
    let w = workload(&["--name", "tt-cols", "--writer", &file.to_string_lossy()]);
    let writer = w.tid("writer").expect("writer").to_string();
    let pid = w.pid.to_string();
    let mut pty = spawn(
        &[
            "--delay",
            "0.3",
            "--pid",
            &pid,
            "--columns",
            "tid,res,mem,ior,iow",
            "--sort",
            "iow",
        ],
        &[],
        120,
        30,
    );
    // The cells of the row whose TID is `tid`: TID RES MEM% IOR/s IOW/s NAME...
    let cells = |s: &str, tid: &str| -> Option<Vec<String>> {
        s.lines()
            .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
            .find(|w| w.first().map(String::as_str) == Some(tid) && w.len() >= 6)
    };
    let is_bytes = |c: &str| {
        c.len() > 1
            && c.ends_with(['B', 'K', 'M', 'G'])
            && c[..c.len() - 1]
                .chars()
                .all(|d| d.is_ascii_digit() || d == '.')
    };
    // Polled: a file system that has not flushed yet shows 0 for a tick or two.
    let screen = pty
        .wait_for("the writer's IOW/s above 0", WAIT, |s| {
            s.contains("IOW/s▼")
                && cells(s, &writer).is_some_and(|c| is_bytes(&c[4]))
                && cells(s, &pid).is_some_and(|c| is_bytes(&c[1]))
        })
        .unwrap_or_else(|e| {
            if std::fs::metadata(&file).is_ok() {
                eprintln!("the file system may not account writes (tmpfs?): {e}");
            }
            panic!("{e}")
        });
    let process = cells(&screen, &pid).expect("process row");
    let thread = cells(&screen, &writer).expect("writer row");
    // RES and MEM% per process; a thread row shows `-` there, its own I/O rates beside.
    assert!(
        process[2].parse::<f64>().is_ok_and(|p| p >= 0.0),
        "{process:?}"
    );
    assert_eq!(thread[1], "-", "{thread:?}");
    assert_eq!(thread[2], "-", "{thread:?}");
    assert!(screen.contains("RES") && screen.contains("MEM%") && screen.contains("IOR/s"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}
