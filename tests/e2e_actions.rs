//! End-to-end tests of the actions that change the system, from the keys in a
//! pseudo-terminal to what /proc says afterwards: sending a signal (`S`), nice +1 / -1
//! (`+` / `-`), and the refusals an unprivileged user gets (as `nobody`, via setpriv).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{Pty, Workload, threadtop, workload};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// The nice field (19) of /proc/PID/task/TID/stat.
fn nice_of(pid: u32, tid: u32) -> Option<i64> {
    let stat = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    threadtop::collect::parse::parse_stat(&stat).map(|s| s.nice)
}

/// Whether the workload has ended (reaped here), waiting up to `WAIT` for it to.
fn ends(w: &mut Workload) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if matches!(w.child.try_wait(), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn alive(w: &mut Workload) -> bool {
    matches!(w.child.try_wait(), Ok(None))
}

/// threadtop as `nobody`, or `None` (with the reason printed) where that cannot be done.
fn as_nobody(extra: &[&str]) -> Option<Pty> {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !rustix::process::geteuid().is_root() || !setpriv.exists() {
        eprintln!("skipped: needs root (to drop to nobody) and /usr/bin/setpriv");
        return None;
    }
    let bin = threadtop().to_string_lossy().into_owned();
    let mut args = vec![
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        bin.as_str(),
        "--delay",
        "0.3",
    ];
    args.extend_from_slice(extra);
    let pty = Pty::spawn(setpriv, &args, &[], 120, 30).expect("start setpriv");
    if pty.wait_for_text("sort cpu", WAIT).is_err() {
        // The binary may live where nobody cannot read it (a private home directory).
        eprintln!(
            "skipped: threadtop could not run as nobody here: {}",
            pty.screen_text()
        );
        return None;
    }
    Some(pty)
}

#[test]
fn sigterm_from_the_ui_ends_that_process_and_no_other() {
    let mut target = workload(&["--name", "ttterm", "--sleep", "1"]);
    let mut bystander = workload(&["--name", "ttstay", "--sleep", "1"]);
    let pid = target.pid.to_string();
    let mut pty = Pty::spawn(
        threadtop(),
        &["--delay", "0.3", "--filter", &pid],
        &[],
        120,
        30,
    )
    .expect("start threadtop");
    pty.wait_for_text("ttterm", WAIT).expect("listed");
    // The process row is the first.
    pty.send_key("Home");
    pty.send(b"k"); // htop's key
    pty.wait_for_all(
        &[
            "Send a signal",
            "SIGTERM",
            "SIGKILL",
            "SIGSTOP",
            "SIGCONT",
            "SIGUSR1",
        ],
        WAIT,
    )
    .expect("picker lists the signals");
    // SIGTERM is preselected: Enter asks about it.
    pty.send_key("Enter");
    pty.wait_for_text(&format!("Send SIGTERM to process {pid} (ttterm)?"), WAIT)
        .expect("confirmation naming the process");
    pty.send(b"y");
    pty.wait_for_text(&format!("sent SIGTERM to process {pid} (ttterm)"), WAIT)
        .expect("success message");
    assert!(ends(&mut target), "the signalled workload ended");
    assert!(alive(&mut bystander), "the other workload still runs");
    assert!(Path::new(&format!("/proc/{}", bystander.pid)).exists());
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn renice_from_the_ui_shows_in_proc_for_that_thread_then_for_the_whole_process() {
    let w = workload(&["--name", "ttnice", "--sleep", "2"]);
    let tid = w.tid("sleep-0").expect("sleep-0");
    let other = w.tid("sleep-1").expect("sleep-1");
    // Relative to what the test was started with (`nice cargo test` gives 10).
    let base = nice_of(w.pid, tid).expect("nice of sleep-0");
    if base >= 18 {
        eprintln!("skipped: started at nice {base}, no room for two steps up");
        return;
    }
    let mut pty = Pty::spawn(
        threadtop(),
        &["--delay", "0.3", "--filter", &tid.to_string()],
        &[],
        120,
        30,
    )
    .expect("start threadtop");
    pty.wait_for_text("sleep-0", WAIT).expect("listed");
    // Rows: the process, then the thread.
    pty.send_key("Home");
    pty.send_key("Down");
    pty.send(b"+");
    pty.wait_for_text(
        &format!("thread {tid} (sleep-0): nice {base} → {}", base + 1),
        WAIT,
    )
    .expect("footer reports the change");
    assert_eq!(nice_of(w.pid, tid), Some(base + 1));
    assert_eq!(nice_of(w.pid, other), Some(base), "only that thread");
    assert_eq!(nice_of(w.pid, w.pid), Some(base), "only that thread");
    // The table shows it after the next scan (NI column).
    let shown = (base + 1).to_string();
    pty.wait_for("NI column updated", WAIT, |s| {
        s.lines()
            .any(|l| l.contains("─sleep-0") && l.split_whitespace().nth(6) == Some(shown.as_str()))
    })
    .expect("NI column");
    // Back down (root may lower nice).
    if rustix::process::geteuid().is_root() {
        pty.send(b"-");
        pty.wait_for_text(
            &format!("thread {tid} (sleep-0): nice {} → {base}", base + 1),
            WAIT,
        )
        .expect("footer reports the change back");
        assert_eq!(nice_of(w.pid, tid), Some(base));
    }
    // The process row: every thread, after a question (a whole process, as for signals).
    pty.send_key("Home");
    pty.send(b"+");
    pty.wait_for_text("Nice +1 (less CPU) for all", WAIT)
        .expect("asked first");
    pty.send(b"y");
    // The question names the threads too: wait for the answer's report.
    pty.wait_for("the process change reported", WAIT, |s| {
        s.contains("threads of ttnice") && s.contains(": nice ") && !s.contains("Nice +1")
    })
    .expect("footer reports the process change");
    // Each thread moved one step from its own value.
    for (t, _) in &w.threads {
        let n = nice_of(w.pid, *t);
        assert!(
            n == Some(base + 1) || (*t == tid && n == Some(base + 2)),
            "thread {t}: {n:?}"
        );
    }
    assert_eq!(nice_of(w.pid, other), Some(base + 1));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn refused_actions_are_reported_change_nothing_and_the_ui_keeps_running() {
    // A root-owned workload; threadtop runs as nobody.
    let mut w = workload(&["--name", "ttroot", "--sleep", "1"]);
    let pid = w.pid.to_string();
    let before: Vec<Option<i64>> = w.threads.iter().map(|(t, _)| nice_of(w.pid, *t)).collect();
    let Some(mut pty) = as_nobody(&["--filter", &pid]) else {
        return;
    };
    pty.wait_for_text("ttroot", WAIT).expect("listed");
    pty.send_key("Home");
    // A signal to another user's process: EPERM, and it lives on.
    pty.send(b"S");
    pty.wait_for_text("Send a signal", WAIT).expect("picker");
    pty.send_key("Enter");
    pty.wait_for_text(&format!("Send SIGTERM to process {pid} (ttroot)?"), WAIT)
        .expect("confirmation");
    pty.send(b"y");
    pty.wait_for_all(&["EPERM", "could not send SIGTERM", "not permitted"], WAIT)
        .expect("EPERM shown");
    assert!(alive(&mut w), "the workload is still alive");
    // Nice +1 on another user's task: EPERM too, and nothing changed.
    pty.send(b"+");
    pty.wait_for_text("Nice +1 (less CPU) for all", WAIT)
        .expect("asked first");
    pty.send(b"y");
    pty.wait_for_all(&["could not change nice", "EPERM"], WAIT)
        .expect("nice refused");
    let after: Vec<Option<i64>> = w.threads.iter().map(|(t, _)| nice_of(w.pid, *t)).collect();
    assert_eq!(after, before, "nothing changed");
    // Lowering nice below 0 on its own process, without privilege: EACCES.
    let own = pty.pid().to_string();
    let own_nice = nice_of(pty.pid(), pty.pid());
    // A new filter: `/`, Ctrl-U clears the old one, the PID, Enter.
    pty.send(b"/\x15");
    pty.send(own.as_bytes());
    pty.send_key("Enter");
    pty.wait_for("its own process listed", WAIT, |s| {
        s.lines()
            .any(|l| l.split_whitespace().next() == Some(own.as_str()) && l.contains("threadtop"))
    })
    .expect("own process");
    pty.send_key("Home");
    pty.send(b"-");
    pty.wait_for_text("Nice -1 (more CPU) for all", WAIT)
        .expect("asked first");
    pty.send(b"y");
    pty.wait_for_all(
        &["could not change nice", "EACCES", "needs privilege"],
        WAIT,
    )
    .expect("lowering refused");
    assert_eq!(nice_of(pty.pid(), pty.pid()), own_nice, "nothing changed");
    // Still running and responsive.
    pty.send(b"?");
    pty.wait_for_text("threadtop help", WAIT)
        .expect("still responsive");
    pty.send(b"q");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert!(alive(&mut w), "the workload is still alive");
}
