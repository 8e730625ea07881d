//! A lost terminal (the pty's master closed, as when an SSH client is killed) ends
//! threadtop quietly with status 129, whether SIGHUP reaches it (it is the session leader)
//! or not (a shell that traps SIGHUP runs it: before, that aborted with status 134 and a
//! "drawing: Input/output error" report).

mod support;

use std::time::Duration;

use support::{DEFAULT_TIMEOUT, Pty, THREADTOP};

const WAIT: Duration = DEFAULT_TIMEOUT;

#[test]
fn a_closed_terminal_under_a_shell_that_traps_sighup_ends_threadtop_with_129() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status_file = dir.path().join("status");
    // bash is the session leader and gets the SIGHUP; threadtop, its child, does not.
    let script = format!(
        "trap : HUP; \"$0\" --delay 0.2 2>\"{}\"; echo $? >\"{}\"; exit 0",
        dir.path().join("stderr").display(),
        status_file.display()
    );
    let mut pty = Pty::spawn("bash", &["-c", &script, THREADTOP], &[], 80, 24).expect("spawn bash");
    pty.wait_for_text("TGID", WAIT).expect("table drawn");
    pty.hang_up();
    // bash writes threadtop's status once threadtop has exited, then exits itself.
    assert!(
        pty.wait_exit(WAIT).is_some(),
        "bash exits once threadtop has"
    );
    let status = std::fs::read_to_string(&status_file).expect("status written");
    assert_eq!(status.trim(), "129", "threadtop's exit status");
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).expect("stderr");
    assert!(
        !stderr.contains("Location")
            && !stderr.contains("BACKTRACE")
            && stderr.lines().count() <= 1,
        "one line at most, no report: {stderr:?}"
    );
}

#[test]
fn a_closed_terminal_whose_stderr_is_the_terminal_ends_threadtop_with_129() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status_file = dir.path().join("status");
    // Here stderr is the lost terminal too: writing a report there failed and aborted.
    let script = format!(
        "trap : HUP; \"$0\" --delay 0.2; echo $? >\"{}\"; exit 0",
        status_file.display()
    );
    let mut pty = Pty::spawn("bash", &["-c", &script, THREADTOP], &[], 80, 24).expect("spawn bash");
    pty.wait_for_text("TGID", WAIT).expect("table drawn");
    pty.hang_up();
    assert!(
        pty.wait_exit(WAIT).is_some(),
        "bash exits once threadtop has"
    );
    let status = std::fs::read_to_string(&status_file).expect("status written");
    assert_eq!(status.trim(), "129", "threadtop's exit status");
}

#[test]
fn a_closed_terminal_ends_threadtop_as_session_leader_with_129() {
    let mut pty = Pty::spawn(THREADTOP, &["--delay", "0.2"], &[], 80, 24).expect("spawn");
    pty.wait_for_text("TGID", WAIT).expect("table drawn");
    pty.hang_up();
    let status = pty.wait_exit(WAIT).expect("exits");
    assert_eq!(status.code(), Some(129), "{status:?}");
}
