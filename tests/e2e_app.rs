//! End-to-end tests of the app's handling through the real binary in a pseudo-terminal:
//! what the affinity picker starts from, bursts of input, suspending, sorting keys.

mod support;

use std::process::{Child, Command};
use std::time::Duration;

use rustix::process::Pid;
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
use support::spawn;

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// A `sleep 300`, killed when dropped.
struct Sleeper(Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cpus_of(pid: u32) -> Vec<usize> {
    let p = Pid::from_raw(pid as i32).expect("a pid");
    let set = sched_getaffinity(Some(p)).expect("affinity readable");
    (0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect()
}

#[test]
fn the_affinity_picker_starts_from_the_tasks_current_cpus() {
    // `taskset -c 1 sleep 300 & threadtop -p $!`, then `a`: the picker used to tick every
    // CPU (the last scan had not read the allowed CPUs) and Enter, y unpinned the task.
    let online = cpus_of(std::process::id());
    if !online.contains(&0) || !online.contains(&1) {
        eprintln!("skipped: needs CPUs 0 and 1 allowed here, has {online:?}");
        return;
    }
    let sleeper = Sleeper(Command::new("sleep").arg("300").spawn().expect("sleep"));
    let pid = sleeper.0.id();
    let mut one = CpuSet::new();
    one.set(1);
    sched_setaffinity(Pid::from_raw(pid as i32), &one).expect("pin to CPU 1");
    assert_eq!(cpus_of(pid), vec![1]);
    let mut pty = spawn(&["--delay", "0.3", "--pid", &pid.to_string()], &[], 120, 30);
    pty.wait_for_text("sleep", WAIT).expect("listed");
    pty.send_key("Home");
    pty.send(b"a");
    let picker = pty
        .wait_for("the picker with the current CPUs", WAIT, |s| {
            s.contains("[x] CPU 1")
        })
        .expect("CPU 1 ticked");
    assert!(
        picker.contains("[ ] CPU 0"),
        "CPU 0 is not allowed now: {picker}"
    );
    assert!(picker.contains("may run: 1"), "{picker}");
    // Applying what it shows changes nothing: the task stays on CPU 1.
    pty.send_key("Enter");
    pty.wait_for_text("run only on CPUs 1?", WAIT)
        .expect("the question names CPU 1 only");
    pty.send(b"y");
    pty.wait_for_text("may now run on CPUs 1", WAIT)
        .expect("applied");
    assert_eq!(cpus_of(pid), vec![1], "still pinned to CPU 1");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn a_pasted_burst_is_all_handled_before_the_next_draw() {
    // `/`, 3,000 characters at once, Enter: the filter takes all of them and the filter
    // line closes, without waiting for another key to push the backlog through. Under -p
    // (one `sleep`): the test is about input, not scale; a whole busy machine (25,000 tasks,
    // load 300-550) made each frame cost seconds there.
    let sleeper = Sleeper(Command::new("sleep").arg("300").spawn().expect("sleep"));
    let pid = sleeper.0.id().to_string();
    let mut pty = spawn(&["--delay", "0.3", "--pid", &pid], &[], 120, 30);
    pty.wait_for_all(&["sort cpu", "sleep 300"], WAIT)
        .expect("started, the sleep listed");
    pty.send(b"/");
    pty.wait_for_text("Filter: ", WAIT).expect("filter line");
    let mut burst = "zq".repeat(1500).into_bytes();
    burst.push(b'\r');
    pty.send(&burst);
    let screen = pty
        .wait_for(
            "the filter line closed, the sleep filtered out",
            WAIT,
            |s| s.contains("filter \"zqzq") && !s.contains("Filter: ") && !s.contains("sleep 300"),
        )
        .expect("every key handled");
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("NAME"))
        .expect("table header");
    assert!(
        lines[header + 1].trim().is_empty(),
        "nothing matches the whole filter: {screen}"
    );
    // 1,000 arrow keys then `?`: the help screen opens. Esc clears the filter first; its
    // effect is waited for, as an Esc followed in the same read by a key is that key with
    // Alt (see `key_bytes`).
    pty.send(b"\x1b");
    pty.wait_for("the filter cleared, the sleep back", WAIT, |s| {
        s.contains("sleep 300") && !s.contains("filter \"zqzq")
    })
    .expect("back");
    let down = b"\x1b[B".repeat(1000);
    let mut burst = down;
    burst.push(b'?');
    pty.send(&burst);
    pty.wait_for_text("threadtop help", WAIT)
        .expect("the help screen after the arrows");
    pty.send(b"q");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The stat state letter of `pid`.
fn state_of(pid: u32) -> Option<u8> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    threadtop::collect::parse::parse_stat(&stat).map(|s| s.state)
}

/// The PIDs whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/stat")).is_ok_and(|b| {
                threadtop::collect::parse::parse_stat(&b).is_some_and(|s| s.ppid == pid)
            })
        })
        .collect()
}

#[test]
fn ctrl_z_stops_with_the_terminal_restored_and_fg_brings_it_back() {
    let bash = std::path::Path::new("/bin/bash");
    if !bash.exists() {
        eprintln!("skipped: needs /bin/bash for job control");
        return;
    }
    // A shell with job control, as a user has: Ctrl-Z must stop threadtop (in raw mode the
    // key reaches threadtop, not the terminal driver) and give the terminal back.
    let mut pty = support::Pty::spawn(
        bash,
        &["--norc", "--noprofile", "-i"],
        &[
            ("PS1", "tt-prompt$ "),
            ("XDG_CONFIG_HOME", support::NO_CONFIG_DIR),
        ],
        120,
        30,
    )
    .expect("bash");
    pty.wait_for_text("tt-prompt$", WAIT).expect("prompt");
    let cmd = format!("{} --delay 0.3\r", support::threadtop().display());
    pty.send(cmd.as_bytes());
    pty.wait_for_text("sort cpu", WAIT)
        .expect("threadtop started");
    let tt = *children_of(pty.pid())
        .first()
        .expect("threadtop under bash");
    pty.send(b"\x1a");
    pty.wait_for("threadtop stopped, the shell back", WAIT, |s| {
        state_of(tt) == Some(b'T') && s.contains("Stopped")
    })
    .expect("stopped");
    assert!(!pty.alternate_screen(), "the main screen is back");
    // Keys typed now go to the shell, not to threadtop.
    pty.send(b"fg\r");
    pty.wait_for("threadtop drawn again", WAIT, |s| {
        s.contains("sort cpu") && state_of(tt).is_some_and(|st| st != b'T')
    })
    .expect("resumed and redrawn");
    assert!(pty.alternate_screen(), "back on the alternate screen");
    pty.send(b"q");
    pty.wait_for_text("tt-prompt$", WAIT)
        .expect("quit to the shell");
    pty.send(b"exit\r");
    let _ = pty.wait_exit(WAIT);
}

#[test]
fn p_sorts_busiest_first_whatever_the_sort_was() {
    let mut pty = spawn(&["--delay", "0.3", "--sort", "tid", "-r"], &[], 120, 30);
    pty.wait_for_text("sort tid▼", WAIT).expect("tid, reversed");
    pty.send(b"P");
    let screen = pty
        .wait_for_text("sort cpu▼", WAIT)
        .expect("CPU %, busiest first");
    assert!(screen.contains("CPU%▼"), "{screen}");
    // The rows follow: flat, processes only, CPU% never goes up down the list (once the
    // rates are there: the first frame has none).
    pty.send(b"t");
    pty.wait_for_text("· flat", WAIT).expect("flat");
    pty.send(b"H");
    // The CPU% figure of each row: the row's field in the header's CPU% position, every
    // column before it (TID, TGID, USER, S) being one word. Cutting the row at the header's
    // width read "100.0" as "100." and a wider figure as its first digits.
    let cpus = |screen: &str| -> Vec<f64> {
        let Some(header) = screen.lines().position(|l| l.contains("CPU%▼")) else {
            return Vec::new();
        };
        let Some(field) = screen
            .lines()
            .nth(header)
            .and_then(|h| h.split_whitespace().position(|w| w.starts_with("CPU%")))
        else {
            return Vec::new();
        };
        screen
            .lines()
            .skip(header + 1)
            .filter_map(|l| l.split_whitespace().nth(field)?.parse().ok())
            .collect()
    };
    // Waits for the state asserted, not its first sign: a screen read while a frame is
    // half drawn mixes two frames' rows. On timeout the error shows the last screen.
    pty.wait_for(
        "rows with CPU % figures, busiest first, one of them busy",
        WAIT,
        |s| {
            let figures = cpus(s);
            s.contains("processes only")
                && figures.len() > 3
                && figures.iter().any(|&c| c > 0.0)
                && figures.windows(2).all(|w| w[0] >= w[1])
        },
    )
    .expect("sorted by CPU %");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn end_goes_to_the_end_of_the_help_screen() {
    let last = "could not be read (permission denied)";
    let mut pty = spawn(&["--delay", "0.3"], &[], 100, 24);
    pty.wait_for_text("sort cpu", WAIT).expect("started");
    pty.send(b"?");
    let screen = pty.wait_for_text("threadtop help", WAIT).expect("help");
    assert!(
        !screen.contains(last),
        "the help is longer than the screen: {screen}"
    );
    pty.send_key("End");
    pty.wait_for_text(last, WAIT).expect("its last line shown");
    pty.send_key("Home");
    pty.wait_for_text("Every row is a task", WAIT)
        .expect("back at the top");
    pty.send(b"q");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn under_hidepid_an_unreadable_process_is_said_so_and_not_signalled() {
    use std::path::Path;
    let (unshare, setpriv) = (Path::new("/usr/bin/unshare"), Path::new("/usr/bin/setpriv"));
    if !rustix::process::geteuid().is_root() || !unshare.exists() || !setpriv.exists() {
        eprintln!(
            "skipped: needs root, /usr/bin/unshare and /usr/bin/setpriv (hidepid in a mount namespace)"
        );
        return;
    }
    // /proc mounted with hidepid=1 in a mount namespace of its own (the machine's /proc is
    // untouched), threadtop as nobody: PID 1 is listed, its files refused.
    let script = format!(
        "mount -t proc -o hidepid=1 proc /proc || exit 97; \
         exec {} --reuid=65534 --regid=65534 --clear-groups -- {} --delay 0.3 --pid 1",
        setpriv.display(),
        support::threadtop().display()
    );
    let mut pty = support::Pty::spawn(
        unshare,
        &["-m", "/bin/sh", "-c", &script],
        &[("XDG_CONFIG_HOME", support::NO_CONFIG_DIR)],
        120,
        30,
    )
    .expect("unshare");
    if pty.wait_for_text("sort cpu", WAIT).is_err() {
        eprintln!(
            "skipped: threadtop could not run as nobody under hidepid here: {:?} {}",
            pty.exit_status(),
            pty.screen_text()
        );
        return;
    }
    let screen = pty
        .wait_for_text("(not readable: permission denied)", WAIT)
        .expect("PID 1 listed as not readable");
    assert!(
        !screen.contains("[]"),
        "not drawn as a nameless kernel thread: {screen}"
    );
    pty.send_key("Home");
    pty.send(b"k");
    let screen = pty
        .wait_for_text("process 1 is not readable (permission denied)", WAIT)
        .expect("refused, with why");
    assert!(!screen.contains("Send a signal"), "no picker: {screen}");
    assert!(!screen.contains("process 1 ()"), "{screen}");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn the_time_column_through_the_binary() {
    // TIME+ chosen on the command line and sorted on: the header and htop's format.
    let mut pty = spawn(
        &["--delay", "0.3", "--columns", "tid,time", "--sort", "time"],
        &[],
        120,
        30,
    );
    let is_time = |w: &str| {
        let Some((m, rest)) = w.split_once(':') else {
            return false;
        };
        let Some((s, cs)) = rest.split_once('.') else {
            return false;
        };
        !m.is_empty()
            && m.chars().all(|c| c.is_ascii_digit())
            && s.len() == 2
            && cs.len() == 2
            && s.chars().chain(cs.chars()).all(|c| c.is_ascii_digit())
    };
    let screen = pty
        .wait_for("TIME+ sorted, with figures", WAIT, |s| {
            s.contains("TIME+▼")
                && s.lines()
                    .any(|l| l.split_whitespace().nth(1).is_some_and(is_time))
        })
        .expect("the column");
    assert!(screen.contains("sort time▼"), "{screen}");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}
