//! End-to-end record and replay: a recording made while a test program's threads change is
//! replayed in a pseudo-terminal, tick by tick, and each change shows at the right tick;
//! a recorder killed with SIGKILL leaves a file that replays up to its last whole tick.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{Pty, threadtop, workload};
use threadtop::record::Recording;

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;
/// For the recorder's ticks: one took 2 s and more with 15,000 tasks at load 20-700.
const TICKS_WAIT: Duration = Duration::from_secs(180);

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Every word in the table on screen, tree guides stripped: a name is shown when it is one
/// of them.
fn names(screen: &str) -> Vec<String> {
    support::table_lines(screen)
        .into_iter()
        .flat_map(|l| l.split_whitespace())
        .map(|n| {
            n.trim_start_matches(['│', '├', '└', '─', '▾', '▸'])
                .to_string()
        })
        .collect()
}

/// Waits until the recording being written holds `count` ticks that began after `after_ns`
/// and ended too (a tick is written once its scan is done). Fails if the recorder exits.
fn wait_for_ticks(
    file: &std::path::Path,
    after_ns: u64,
    count: usize,
    rec: &mut std::process::Child,
) {
    let began = Instant::now();
    loop {
        let have = Recording::open(file).map_or(0, |r| {
            (0..r.ticks.len())
                .filter(|&i| r.wall_ns(i) > after_ns)
                .count()
        });
        if have >= count {
            return;
        }
        assert!(
            matches!(rec.try_wait(), Ok(None)),
            "the recorder exited with {have} of {count} ticks after {after_ns}"
        );
        assert!(
            began.elapsed() < TICKS_WAIT,
            "{have} of {count} ticks after {after_ns} in {:?}",
            began.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_recording_replays_the_changes_at_the_right_ticks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("incident.tt");
    // A: busy and blocked threads, then it exits. B: created while we record.
    let mut a = workload(&["--name", "rec-a", "--busy", "1", "--sleep", "2"]);
    // No --duration: the recorder runs until each change has ticks on both sides of it,
    // then SIGTERM ends it. With 15,000 tasks on a loaded machine a tick took 2 s or more
    // (3 ticks in 7 s), so fixed sleeps left a change with no tick after it.
    let mut recorder = support::command()
        .args(["record", &file.to_string_lossy(), "--delay", "0.25"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the recorder");
    // Two whole ticks before B is started (ended before its launch).
    wait_for_ticks(&file, now_ns(), 2, &mut recorder);
    let b_launched = now_ns();
    let b = workload(&["--name", "rec-b", "--sleep", "2"]);
    let b_ready = now_ns();
    // Two ticks begun once B was ready, A still alive.
    wait_for_ticks(&file, b_ready, 2, &mut recorder);
    let a_killed = now_ns();
    let _ = a.child.kill();
    let _ = a.child.wait();
    let a_gone = now_ns();
    // Two ticks begun after A was reaped.
    wait_for_ticks(&file, a_gone, 2, &mut recorder);
    if let Some(pid) = rustix::process::Pid::from_raw(recorder.id() as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let status = recorder.wait().expect("recorder ends on SIGTERM");
    assert!(status.success(), "{status:?}");
    // By process id, not name: other test runs on the machine may use the same names.
    let pids = format!("{},{}", a.pid, b.pid);
    drop(b);

    let rec = Recording::open(&file).expect("a readable recording");
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    let n = rec.ticks.len();
    let mut pty = Pty::spawn(
        threadtop(),
        &["replay", file.to_string_lossy().as_ref(), "-p", &pids],
        &[],
        120,
        40,
    )
    .expect("start replay");
    // Each change must be seen from both sides: before and after.
    let (mut saw_b_absent, mut saw_b_appear, mut saw_a_there, mut saw_a_go) =
        (false, false, false, false);
    for i in 0..n {
        let label = format!("tick {}/{n}", i + 1);
        let screen = pty
            .wait_for_text(&label, WAIT)
            .expect("stepped to the tick");
        let shown = names(&screen);
        // A scan takes time: the tick saw the machine somewhere between its start and end.
        let scan_start = rec.wall_ns(i);
        let scan_end = scan_start + rec.decode(i, None).expect("decodes").scan_ns;
        let has = |name: &str| shown.iter().any(|s| s == name);
        // B exists from its launch on, and certainly once it said it was ready.
        if scan_end < b_launched {
            assert!(
                !has("rec-b"),
                "tick {i}: rec-b before it was started: {screen}"
            );
            saw_b_absent = true;
        } else if scan_start > b_ready {
            assert!(
                has("rec-b") && has("sleep-1"),
                "tick {i}: rec-b missing: {screen}"
            );
            saw_b_appear = true;
        }
        // A with its threads until it was killed; gone after it was reaped.
        if scan_end < a_killed {
            assert!(
                has("rec-a") && has("busy-0"),
                "tick {i}: rec-a missing: {screen}"
            );
            saw_a_there = true;
        } else if scan_start > a_gone {
            assert!(!has("rec-a"), "tick {i}: rec-a after it exited: {screen}");
            saw_a_go = true;
        }
        pty.send(b"n");
    }
    assert!(
        saw_b_absent && saw_b_appear && saw_a_there && saw_a_go,
        "the {n} ticks must cover both changes from both sides"
    );
    // Jump back to the start: A is there again, B not yet.
    pty.send(b":0s");
    pty.send_key("Enter");
    let tick = format!("tick 1/{n}");
    pty.wait_for("jumped back, rec-a shown", WAIT, |s| {
        s.contains(&tick) && names(s).contains(&"rec-a".to_string())
    })
    .expect("jumped");
    // Actions that change the system are refused in a replay.
    pty.send(b"a");
    pty.wait_for_text("actions that change the system are disabled", WAIT)
        .expect("refused");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert!(pty.termios_cooked() && !pty.alternate_screen());

    // The same ticks from --json --at, for scripts.
    let out = support::command()
        .args([
            "replay",
            &file.to_string_lossy(),
            "--json",
            "--at",
            "0s",
            "-p",
            &pids,
        ])
        .output()
        .expect("replay --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // Counted as the time bar counts: "tick 1/{n}" on screen is tick 1 here.
    assert_eq!(v["recording"]["tick"], 1);
    assert!(
        v["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["name"] == "busy-0"))
    );
}

#[test]
fn a_recorder_killed_mid_run_leaves_a_file_that_replays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("killed.tt");
    let mut recorder = support::command()
        .args(["record", &file.to_string_lossy(), "--delay", "0.05"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the recorder");
    let began = Instant::now();
    while Recording::open(&file).map_or(0, |r| r.ticks.len()) < 8 {
        assert!(began.elapsed() < WAIT, "the recorder wrote nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
    recorder.kill().expect("SIGKILL");
    let _ = recorder.wait();
    let rec = Recording::open(&file).expect("still readable");
    let n = rec.ticks.len();
    assert!(n >= 8);
    // Every tick decodes, the last one included.
    for i in [0, n / 2, n - 1] {
        rec.decode(i, None).expect("decodes");
    }
    // The last tick, by its offset: the n-th.
    let last = format!("{}", rec.offset_secs(n - 1) + 0.001);
    let out = support::command()
        .args(["replay", &file.to_string_lossy(), "--json", "--at", &last])
        .output()
        .expect("replay --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["recording"]["tick"], n, "the last tick");
    // Past the end is an error naming the recording's span, not silently the last tick.
    for at in ["10m", "99999999h"] {
        let out = support::command()
            .args(["replay", &file.to_string_lossy(), "--json", "--at", at])
            .output()
            .expect("replay --json");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{at}");
        assert!(
            err.contains("past the end of the recording: it spans")
                && err.contains(&format!("{n} ticks")),
            "{at}: {err}"
        );
        assert!(out.stdout.is_empty(), "{at}");
    }

    // A newer format and a foreign file: one clear line each, no panic.
    let mut data = std::fs::read(&file).expect("read");
    data[8] = 9;
    let newer = dir.path().join("newer.tt");
    std::fs::write(&newer, &data).expect("write");
    let out = support::command()
        .args(["replay", &newer.to_string_lossy(), "--json"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("newer threadtop"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = support::command()
        .args(["replay", "/etc/hostname", "--json"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a threadtop recording"));
    assert!(!out.status.success());
}
