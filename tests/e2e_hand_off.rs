//! The hand-off (`!`) through the real binary in a pseudo-terminal: a tool from the
//! config's `[tools]` runs in the same terminal on the selected thread, its output on the
//! normal screen, Ctrl-C ending it and not threadtop; once it has ended (and a key is
//! pressed) the UI is drawn anew and the status line says how it ended.

mod support;

use std::time::Duration;

use support::{assert_restored, spawn, workload};

const WAIT: Duration = Duration::from_secs(20);

/// A config whose only tool echoes the TID and PID it was given, then waits for a line
/// (the test's own shell script: threadtop runs `sh` with these words, no shell of its
/// own), ending with status 3.
fn config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("config.toml"),
        "[tools]\nhello = \"sh -c 'echo handed tid {tid} pid {pid}; read x; exit 3'\"\n",
    )
    .expect("write config");
    dir
}

/// A workload named `name` with one sleeping thread, and threadtop on it (filtered to its
/// PID) with a config whose `[tools]` table is `tools`, its table drawn. The temp dir
/// holds the config and lives as long as the test keeps it.
fn on_workload_with_tools(
    name: &str,
    tools: &str,
) -> (tempfile::TempDir, support::Workload, support::Pty) {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("config.toml");
    std::fs::write(&conf, format!("[tools]\n{tools}\n")).expect("write config");
    let w = workload(&["--name", name, "--sleep", "1"]);
    let pid = w.pid.to_string();
    let pty = spawn(
        &[
            "--config".as_ref(),
            conf.as_os_str(),
            "--filter".as_ref(),
            pid.as_ref(),
        ],
        &[("NO_COLOR", "1")],
        120,
        30,
    );
    pty.wait_for_all(&[name, "sleep-0"], WAIT)
        .expect("table drawn");
    (dir, w, pty)
}

/// Whether threadtop is still running.
fn alive(pty: &support::Pty) -> bool {
    pty.exit_status().is_none()
}

#[test]
fn a_tool_runs_on_the_selected_thread_in_this_terminal_and_threadtop_comes_back() {
    let w = workload(&["--name", "tthand", "--sleep", "2"]);
    let tid = w.tid("sleep-1").expect("sleep-1 started");
    let pid = w.pid;
    let dir = config();
    let conf = dir.path().join("config.toml");
    let mut pty = spawn(
        &[
            "--config".as_ref(),
            conf.as_os_str(),
            "--delay".as_ref(),
            "0.5".as_ref(),
            "--flat".as_ref(),
            "--filter".as_ref(),
            pid.to_string().as_ref(),
        ],
        &[("NO_COLOR", "1")],
        120,
        30,
    );
    pty.wait_for_all(&["sleep-0", "sleep-1"], WAIT)
        .expect("table drawn");
    // Select sleep-1 by the search (it hides nothing).
    pty.send_key("F3");
    pty.wait_for_text("Search: ", WAIT).expect("search line");
    pty.send(b"sleep-1");
    pty.send_key("Enter");
    pty.wait_for("search line closed", WAIT, |s| !s.contains("Search: "))
        .expect("closed");
    // The picker names the thread and the IDs the tool gets.
    pty.send(b"!");
    let words = format!("thread {tid} (sleep-1) of process {pid}");
    let ids = format!("{{tid}} is {tid}, {{pid}} is {pid}");
    pty.wait_for_all(&["Hand off to a tool", &words, &ids], WAIT)
        .expect("the picker, on the selected thread");
    pty.send_key("Enter");
    // The tool's output, on the normal screen, with the selected thread's TID (a line of
    // its own: the picker showed the command line, with the same words inside).
    let handed = format!("handed tid {tid} pid {pid}");
    let runs = |n: usize| {
        let handed = handed.clone();
        move |s: &str| s.lines().filter(|l| l.starts_with(&handed)).count() == n
    };
    pty.wait_for("the tool's output", WAIT, runs(1))
        .expect("the tool ran with the TID substituted");
    assert!(!pty.alternate_screen(), "the tool is on the normal screen");
    assert!(
        pty.termios_cooked(),
        "the tool has the terminal in its normal mode"
    );
    // It reads the terminal (the input thread does not take its keys): a line ends it.
    pty.send(b"done\r");
    pty.wait_for_text("hello ended: exit status 3; press a key to return", WAIT)
        .expect("how it ended, and a key awaited");
    // `q` here is the key that returns, not a quit.
    pty.send(b"q");
    // (The normal screen has the same words: the alternate screen is what says it is back.)
    let screen = pty
        .wait_for("the UI back", WAIT, |s| {
            pty.alternate_screen()
                && ["hello ended: exit status 3", "TID", "sleep-0", "sleep-1"]
                    .iter()
                    .all(|n| s.contains(n))
        })
        .expect("the UI back, the status line saying how the tool ended");
    assert!(alive(&pty), "q answered the prompt; threadtop runs");
    // Drawn anew: the summary, the header and the footer are there, not only what changed.
    assert!(
        screen.contains("Tasks") && screen.contains("help"),
        "{screen}"
    );
    assert!(!screen.contains(&handed), "{screen}");

    // Ctrl-C while the tool runs: the tool ends, threadtop does not.
    pty.send(b"!");
    pty.wait_for_text("Hand off to a tool", WAIT)
        .expect("picker");
    pty.send_key("Enter");
    // The normal screen still has the first run's lines: a second output line means the
    // tool runs (and has the terminal: Ctrl-C before that would be threadtop's).
    pty.wait_for("the tool again", WAIT, runs(2))
        .expect("the tool runs");
    pty.send_key("Ctrl-C");
    pty.wait_for_text("hello ended by SIGINT; press a key to return", WAIT)
        .expect("SIGINT ended the tool");
    assert!(alive(&pty), "threadtop survives the tool's Ctrl-C");
    pty.send_key("Space");
    pty.wait_for("the UI back", WAIT, |s| {
        pty.alternate_screen() && s.contains("hello ended by SIGINT") && s.contains("TID")
    })
    .expect("the UI back");
    assert!(alive(&pty));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert_restored(&pty);
}

#[test]
fn a_tool_that_is_not_installed_is_listed_so_and_cannot_start() {
    let (_dir, _w, mut pty) =
        on_workload_with_tools("ttnotool", "nosuch = \"no-such-tool-threadtop -p {tid}\"");
    pty.send(b"!");
    pty.wait_for_all(
        &[
            "Hand off to a tool",
            "no-such-tool-threadtop -p",
            "not installed",
        ],
        WAIT,
    )
    .expect("listed as not installed");
    pty.send_key("Enter");
    pty.wait_for_text("nosuch is not installed", WAIT)
        .expect("refused, with the reason");
    assert!(pty.alternate_screen(), "nothing was handed the terminal");
    pty.send_key("Esc");
    pty.wait_for("picker closed", WAIT, |s| !s.contains("Hand off to a tool"))
        .expect("closed");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The terminal hanging up while a tool has it (an SSH drop during strace): the tool is
/// told (SIGHUP) and threadtop ends as README says for a lost terminal, status 129,
/// rather than wait on a tool that would never notice.
#[test]
fn a_hang_up_during_a_tool_ends_the_tool_and_threadtop() {
    // It sleeps without reading the terminal, as strace does.
    let (_dir, _w, mut pty) = on_workload_with_tools(
        "tthangup",
        "sleeper = \"sh -c 'echo sleeping on {tid}; exec sleep 1000'\"",
    );
    pty.send(b"!");
    pty.wait_for_text("Hand off to a tool", WAIT)
        .expect("picker");
    pty.send_key("Enter");
    pty.wait_for("the tool runs", WAIT, |s| {
        s.lines().any(|l| l.starts_with("sleeping on "))
    })
    .expect("the tool runs");
    // The sleep, in the tool's own process group.
    let sleeper = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|p| {
            std::fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c == b"sleep\x001000\x00")
                && std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| {
                    s.rsplit(')')
                        .next()
                        .and_then(|r| r.split_whitespace().nth(1))
                        == Some(&pty.pid().to_string())
                })
        })
        .expect("the tool's sleep, a child of threadtop");
    pty.hang_up();
    let status = pty.wait_exit(WAIT).expect("threadtop ends");
    assert_eq!(status.code(), Some(129), "{status:?}");
    let deadline = std::time::Instant::now() + WAIT;
    // Gone, or a zombie waiting for its new parent to reap it: ended either way.
    let alive = || {
        std::fs::read_to_string(format!("/proc/{sleeper}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                != Some("Z")
        })
    };
    while alive() {
        assert!(
            std::time::Instant::now() < deadline,
            "the tool ({sleeper}) outlived the terminal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
