//! Scheduling events on the live screen, through the binary in a pty: the header says
//! where the figures come from (as root and as `nobody`), and with events on the workloads
//! made for them show exact placement and who woke whom.
//!
//! Tests that need the events print why and return where they cannot load.

mod support;

use std::path::Path;
use std::time::Duration;

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// Why `--events on` cannot run here (`None`: it can).
fn events_unavailable() -> Option<String> {
    let out = support::command()
        .args(["--json", "--events", "on", "--delay", "0.05", "-p", "1"])
        .output()
        .expect("run threadtop");
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_header_says_events_bpf_when_they_load_and_off_with_the_reason_when_asked_off() {
    let w = support::workload(&["--ping-pong"]);
    let pid = w.pid.to_string();
    // Asked off: the header says so whoever runs it.
    let mut pty = support::spawn(
        &["--events", "off", "--delay", "0.3", "-p", &pid],
        &[],
        140,
        30,
    );
    pty.wait_for_text("events: off (--events off)", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    if let Some(why) = events_unavailable() {
        eprintln!("events: bpf: skipped: scheduling events cannot load here: {why}");
        return;
    }
    let mut pty = support::spawn(&["--delay", "0.3", "-p", &pid], &[], 140, 30);
    pty.wait_for_text("events: bpf", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn as_nobody_the_header_says_events_are_off_and_what_they_need() {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !rustix::process::geteuid().is_root() || !setpriv.exists() {
        eprintln!("as nobody: skipped: needs root (to drop to nobody) and /usr/bin/setpriv");
        return;
    }
    let w = support::workload(&["--ping-pong"]);
    let pid = w.pid.to_string();
    let mut pty = support::Pty::spawn(
        setpriv,
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            &support::threadtop().display().to_string(),
            "--delay",
            "0.3",
            "-p",
            &pid,
        ],
        &[("XDG_CONFIG_HOME", support::NO_CONFIG_DIR)],
        140,
        30,
    )
    .expect("setpriv");
    if pty.wait_for_text("sort cpu", WAIT).is_err() {
        eprintln!(
            "as nobody: skipped: threadtop could not run as nobody here: {:?} {}",
            pty.exit_status(),
            pty.screen_text()
        );
        return;
    }
    pty.wait_for_text("events: off (needs root or CAP_BPF", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The tokens of the placement pane's row for `tid` (border stripped), if shown.
fn placement_row(screen: &str, tid: u32) -> Option<Vec<String>> {
    let tid = tid.to_string();
    let mut in_pane = false;
    for line in screen.lines() {
        if line.contains("Placement of") {
            in_pane = true;
            continue;
        }
        if !in_pane {
            continue;
        }
        let tokens: Vec<String> = line
            .split_whitespace()
            .filter(|t| *t != "│")
            .map(|t| t.trim_matches('│').to_string())
            .collect();
        if tokens.first() == Some(&tid) {
            return Some(tokens);
        }
    }
    None
}

/// The table's row for `tid` (a thread row: its name is the last word).
fn table_row<'a>(screen: &'a str, tid: u32, name: &str) -> Option<&'a str> {
    let tid = tid.to_string();
    screen.lines().find(|l| {
        let mut w = l.split_whitespace();
        w.next() == Some(tid.as_str()) && l.trim_end().ends_with(name)
    })
}

#[test]
fn with_events_the_mover_is_placed_exactly_and_ping_pong_show_each_other_as_waker() {
    if let Some(why) = events_unavailable() {
        eprintln!("exact placement on screen: skipped: scheduling events cannot load here: {why}");
        return;
    }
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("exact placement on screen: skipped: needs two CPUs");
        return;
    }
    let w = support::workload(&["--mover", "0,1", "--ping-pong"]);
    let (mover, ping, pong) = (
        w.tid("mover").expect("mover"),
        w.tid("ping").expect("ping"),
        w.tid("pong").expect("pong"),
    );
    let pid = w.pid.to_string();
    let mut pty = support::spawn(
        &["--events", "on", "--delay", "0.5", "-p", &pid],
        &[],
        220,
        50,
    );
    pty.wait_for_text("events: bpf", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    // The scheduling set (WOKEN BY) and the placement pane of the selected process.
    pty.send(b"c");
    pty.wait_for_text("WOKEN BY", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"p");
    let screen = pty
        .wait_for("the mover's NOW strip on both CPUs", WAIT, |s| {
            s.contains("exact, from events")
                && placement_row(s, mover)
                    .and_then(|t| t.get(6).cloned())
                    .is_some_and(|now| now.contains('0') && now.contains('1'))
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let row = placement_row(&screen, mover).unwrap_or_default();
    assert_eq!(row.get(1).map(String::as_str), Some("mover"), "{row:?}");
    assert_eq!(
        row.get(6).map(|s| s.chars().count()),
        Some(10),
        "ten cells: {row:?}"
    );
    // Each of the pair woken by the other, in the same tick's screen.
    let (ping_by, pong_by) = (format!("pong ({pong})"), format!("ping ({ping})"));
    pty.wait_for("ping and pong woken by each other", WAIT, |s| {
        table_row(s, ping, "ping").is_some_and(|r| r.contains(&ping_by))
            && table_row(s, pong, "pong").is_some_and(|r| r.contains(&pong_by))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The display does not wait for the events to load (`--events auto` loads them in the
/// background): with a loader that holds its answer until the test says so, the first
/// frame already lists the workload and says `events: loading`; once the loader has ended
/// (with no answer, so threadtop loads in-process), the header says `events: bpf`.
#[test]
fn the_first_frame_does_not_wait_for_the_events_to_load() {
    if let Some(why) = events_unavailable() {
        eprintln!("first frame before the events: skipped: they cannot load here: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let flag = dir.path().join("answer-now");
    let loader = loader_script(
        dir.path(),
        "# Ends, without an answer, once the test makes the file.\n\
         while [ ! -e \"$TT_TEST_LOADER_FLAG\" ]; do sleep 0.05; done\n",
    );
    let w = support::workload(&["--name", "ttearly", "--sleep", "2"]);
    let pid = w.pid.to_string();
    let (loader_s, flag_s) = (loader.display().to_string(), flag.display().to_string());
    let mut pty = support::spawn(
        &["--delay", "0.3", "-p", &pid],
        &[
            ("THREADTOP_TEST_LOADER_EXE", &loader_s),
            ("TT_TEST_LOADER_FLAG", &flag_s),
        ],
        140,
        30,
    );
    pty.wait_for("the workload listed while the events load", WAIT, |s| {
        s.contains("events: loading")
            && s.lines()
                .any(|l| l.split_whitespace().next() == Some(pid.as_str()))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&flag, b"").expect("tell the loader to end");
    pty.wait_for_text("events: bpf", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// On a large machine (20,000 tasks or more; here made to count as one) the first frame
/// waits, a bounded time, for the events' load, so it comes from the task iterator rather
/// than from a /proc pass over every task: the first screen already says `events: bpf`,
/// never `events: loading`. The loader here takes over a second (then ends without an
/// answer, so threadtop loads in-process): a display that did not wait would show
/// `loading` all that time.
#[test]
fn on_a_large_machine_the_first_frame_waits_for_the_load() {
    if let Some(why) = events_unavailable() {
        eprintln!("first frame after the load: skipped: the events cannot load here: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let loader = loader_script(
        dir.path(),
        "# Slow, then ends without an answer.\nsleep 1.5\n",
    );
    let w = support::workload(&["--name", "ttlarge", "--sleep", "2"]);
    let pid = w.pid.to_string();
    let loader_s = loader.display().to_string();
    // Waits as long as the load takes here (the bound is for real machines).
    let mut pty = support::spawn(
        &["--delay", "0.3", "-p", &pid],
        &[
            ("THREADTOP_TEST_LOADER_EXE", &loader_s),
            ("THREADTOP_TEST_FIRST_FRAME_WAIT_MS", "600000"),
        ],
        140,
        30,
    );
    // The whole label, not its first characters: a frame can arrive in two reads.
    let first = pty
        .wait_for("the first frame's events label", WAIT, |s| {
            ["events: loading", "events: bpf", "events: off"]
                .iter()
                .any(|l| s.contains(l))
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !first.contains("events: loading") && first.contains("events: bpf"),
        "the first frame did not wait for the load:\n{first}"
    );
    pty.wait_for("the workload listed", WAIT, |s| {
        s.lines()
            .any(|l| l.split_whitespace().next() == Some(pid.as_str()))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// An executable `sh` script in `dir` with `body`, for `THREADTOP_TEST_LOADER_EXE`.
fn loader_script(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let loader = dir.join("loader.sh");
    std::fs::write(&loader, format!("#!/bin/sh\n{body}")).expect("write the loader");
    std::fs::set_permissions(&loader, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make the loader executable");
    loader
}

/// Quitting does not wait for the kernel to detach the events: threadtop hands its
/// descriptors to a child (`tt-bpf-release`) that outlives it and releases the links when
/// it exits. Here the child is told to wait for a file, so the test can see it holding
/// the links after threadtop has gone; once the file exists, it ends too.
#[test]
fn quitting_hands_the_links_to_a_child_that_outlives_threadtop() {
    if let Some(why) = events_unavailable() {
        eprintln!("quit hand-over: skipped: the events cannot load here: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let flag = dir.path().join("release-now");
    let flag_s = flag.display().to_string();
    let mut pty = support::spawn(
        &["--delay", "0.3"],
        &[("THREADTOP_TEST_RELEASE_HOLD", &flag_s)],
        140,
        30,
    );
    pty.wait_for_text("events: bpf", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    // Ours is the child whose environment names this test's file.
    let holder = std::fs::read_dir("/proc")
        .expect("list /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            comm.trim_end() == "tt-bpf-release"
                && env
                    .split(|&b| b == 0)
                    .any(|v| v == format!("THREADTOP_TEST_RELEASE_HOLD={flag_s}").as_bytes())
        })
        .expect("a tt-bpf-release child outlives threadtop");
    let links = std::fs::read_dir(format!("/proc/{holder}/fd"))
        .expect("the child's descriptors")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|l| l.to_string_lossy().contains("bpf_link"))
        .count();
    assert!(links > 0, "the child holds no BPF link");
    std::fs::write(&flag, b"").expect("let the child go");
    // Gone, or a zombie whose new parent has yet to reap it: either way it has exited.
    let deadline = std::time::Instant::now() + WAIT;
    let running = || {
        let stat = std::fs::read_to_string(format!("/proc/{holder}/stat")).unwrap_or_default();
        stat.contains("(tt-bpf-release)")
            && stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    };
    while running() {
        assert!(
            std::time::Instant::now() < deadline,
            "the child did not end"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
