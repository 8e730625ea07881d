//! The column editor in the real binary: a column hidden from the UI leaves the header at
//! once, `w` writes both sets to the config file under XDG_CONFIG_HOME, and the file keeps
//! what the user wrote there before.

mod support;

use std::time::Duration;

use support::spawn;

const WAIT: Duration = Duration::from_secs(30);

fn header(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("NAME") && l.contains("CPU%"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn hiding_a_column_in_the_editor_and_saving_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xdg = dir.path().to_str().expect("utf-8 temp path").to_string();
    let file = dir.path().join("threadtop").join("config.toml");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, "# my settings\n").expect("write");
    let mut pty = spawn(
        &["--pid", "1"],
        &[("XDG_CONFIG_HOME", xdg.as_str())],
        120,
        40,
    );
    pty.wait_for("the header with TGID", WAIT, |s| header(s).contains("TGID"))
        .expect("table");
    pty.send(b"o");
    pty.wait_for_text("Columns: basic set", WAIT)
        .expect("editor open");
    // TGID is the second entry: hide it.
    pty.send_key("Down");
    pty.send(b" ");
    pty.wait_for("TGID gone from the header", WAIT, |s| {
        !header(s).is_empty() && !header(s).contains("TGID") && s.contains("[ ] TGID")
    })
    .expect("TGID leaves the header");
    pty.send(b"w");
    pty.wait_for_all(&["columns saved to", "config.toml"], WAIT)
        .expect("saved message");
    let text = std::fs::read_to_string(&file).expect("config written");
    assert!(text.starts_with("# my settings\n"), "{text}");
    assert!(
        text.contains("basic = [\"tid\", \"user\", \"state\", \"cpu\""),
        "{text}"
    );
    pty.send_key("Esc");
    // Esc and q sent together would read as Alt-q: wait for the editor to close first.
    pty.wait_for("editor closed", WAIT, |s| !s.contains("Columns: basic set"))
        .expect("editor closed");
    pty.send(b"q");
    assert!(pty.wait_exit(WAIT).is_some(), "threadtop did not quit");
}
