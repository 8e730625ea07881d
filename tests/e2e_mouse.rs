//! The mouse end to end: SGR mouse reports sent to the real binary in a pseudo-terminal
//! (clicks select, a header click sorts, a pane click focuses, the wheel scrolls), mouse
//! reporting turned off on exit, and `--no-mouse` never asking for it.

mod support;

use std::time::Duration;

use support::{assert_restored, enables_mouse, spawn, table_lines, workload};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// An SGR mouse report: button code `b` at the 0-based cell (x, y), press or release.
fn sgr(b: u32, x: u16, y: u16, press: bool) -> Vec<u8> {
    format!(
        "\x1b[<{b};{};{}{}",
        x + 1,
        y + 1,
        if press { 'M' } else { 'm' }
    )
    .into_bytes()
}

fn click(pty: &support::Pty, x: u16, y: u16) {
    pty.send(&sgr(0, x, y, true));
    pty.send(&sgr(0, x, y, false));
}

/// (x, y) of the first cell of `needle` on the screen.
fn find(screen: &str, needle: &str) -> Option<(u16, u16)> {
    screen.lines().enumerate().find_map(|(y, line)| {
        line.find(needle)
            .map(|at| (line[..at].chars().count() as u16, y as u16))
    })
}

/// Whether screen line `y` is drawn in reverse video (the selection, without colour).
fn reversed(pty: &support::Pty, y: u16) -> bool {
    pty.with_screen(|s| s.cell(y, 2).is_some_and(|c| c.inverse()))
}

#[test]
fn clicks_select_sort_and_focus_and_the_wheel_scrolls() {
    let w = workload(&["--name", "ttmouse", "--sleep", "3"]);
    let pid = w.pid.to_string();
    let mut pty = spawn(
        &["--delay", "0.5", "--filter", &pid],
        &[("NO_COLOR", "1")],
        100,
        30,
    );
    let screen = pty
        .wait_for_all(&["sleep-1", "sleep-2"], WAIT)
        .expect("table drawn");
    assert!(pty.mouse_reporting(), "mouse reporting is on");
    assert!(enables_mouse(&pty.raw_output()));
    // Click the row of sleep-1: it becomes the selection.
    let (x, y) = find(&screen, "sleep-1").expect("row shown");
    assert!(!reversed(&pty, y), "not selected yet");
    click(&pty, x, y);
    pty.wait_for("sleep-1 selected", WAIT, |s| {
        find(s, "sleep-1").is_some_and(|(_, y)| reversed(&pty, y))
    })
    .expect("the click selects the row");
    // Click the TID header: sorted by TID; again: reversed.
    let (x, y) = find(&screen, "TID ").expect("header");
    click(&pty, x + 1, y);
    pty.wait_for_text("TID▲", WAIT).expect("sorted by TID");
    click(&pty, x + 1, y);
    pty.wait_for_text("TID▼", WAIT).expect("reversed");
    // Open the placement pane and click in it: focused.
    pty.send(b"p");
    let screen = pty.wait_for_text("Placement of", WAIT).expect("pane open");
    assert!(!screen.contains("[focused]"), "{screen}");
    let (x, y) = find(&screen, "Placement of").expect("pane title");
    click(&pty, x, y + 2);
    pty.wait_for_text("[focused]", WAIT)
        .expect("the click focuses the pane");
    pty.send(b"p");
    pty.wait_for("pane closed", WAIT, |s| !s.contains("Placement of"))
        .expect("pane closes");
    // Without the filter the table is longer than the screen: the wheel scrolls it.
    pty.send_key("Esc");
    let screen = pty
        .wait_for("a full table", WAIT, |s| table_lines(s).len() >= 20)
        .expect("unfiltered");
    let first = table_lines(&screen)[0].to_string();
    let (_, y) = find(&screen, &first).expect("first row");
    pty.send(&sgr(65, 10, y + 3, true));
    pty.wait_for("scrolled", WAIT, |s| {
        table_lines(s).first().is_some_and(|l| *l != first)
    })
    .expect("the wheel scrolls the table");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert_restored(&pty);
}

#[test]
fn no_mouse_never_asks_for_mouse_reports() {
    let mut pty = spawn(&["--no-mouse", "--delay", "0.5"], &[], 100, 30);
    pty.wait_for_text("TGID", WAIT).expect("table drawn");
    assert!(!pty.mouse_reporting());
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    let raw = pty.raw_output();
    assert!(!enables_mouse(&raw));
    for n in ["1000", "1002", "1003", "1006"] {
        let seq = format!("\x1b[?{n}");
        assert!(
            !raw.windows(seq.len()).any(|w| w == seq.as_bytes()),
            "{seq:?} written with --no-mouse"
        );
    }
    assert_restored(&pty);
}

#[test]
fn the_mouse_works_the_same_in_a_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mouse.tt");
    let w = workload(&["--name", "ttmrec", "--sleep", "3"]);
    let status = support::command()
        .args([
            "record",
            &file.to_string_lossy(),
            "--delay",
            "0.2",
            "--duration",
            "1s",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("record");
    assert!(status.success());
    let pid = w.pid.to_string();
    let mut pty = spawn(
        &["replay", file.to_string_lossy().as_ref(), "-p", &pid],
        &[("NO_COLOR", "1")],
        100,
        30,
    );
    let screen = pty
        .wait_for_all(&["sleep-1", "sleep-2"], WAIT)
        .expect("replay drawn");
    assert!(pty.mouse_reporting());
    let (x, y) = find(&screen, "sleep-1").expect("row shown");
    click(&pty, x, y);
    pty.wait_for("sleep-1 selected", WAIT, |s| {
        find(s, "sleep-1").is_some_and(|(_, y)| reversed(&pty, y))
    })
    .expect("the click selects the row in a replay");
    let (x, y) = find(&screen, "TID ").expect("header");
    click(&pty, x + 1, y);
    pty.wait_for_text("TID▲", WAIT)
        .expect("a header click sorts in a replay");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert_restored(&pty);
}
