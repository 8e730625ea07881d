//! Scheduling events on the live screen, through the binary in a pty: the header says
//! where the figures come from (as root and as `nobody`), and with events on the workloads
//! made for them show exact placement and who woke whom.
//!
//! Tests that need the events print why and return where they cannot load.

mod support;

use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

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
