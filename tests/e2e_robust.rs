//! The real binary under hostile conditions: panics, a closed pipe, terminal types and
//! NO_COLOR, hidepid in a private namespace as an unprivileged user, hostile names,
//! 10,000 (and, where the machine allows, 50,000) threads, and a soak with thread churn.
//! Waits poll generously; nothing asserts a duration.
//!
//! Long tests, `#[ignore]`d in the default run (see README.md, "Robustness"):
//! `cargo test --release --test e2e_robust -- --ignored` (50k threads; soak for
//! THREADTOP_SOAK_SECS seconds, default 600).

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Pty, THREADTOP, assert_restored, sets_colour, spawn, try_workload, workload};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `VmRSS` of a process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// A `kB` line of /proc/PID/status, e.g. `VmHWM:` or `RssAnon:`.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Tasks on the whole machine (the second half of /proc/loadavg's fourth field).
fn machine_tasks() -> u64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().nth(3)?.split_once('/')?.1.parse().ok())
        .unwrap_or(0)
}

/// The tests that start thousands of threads or measure memory run one at a time: each
/// one's threads would otherwise be part of the other's measurement.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

#[test]
fn a_panic_on_any_thread_restores_the_terminal_and_exits_101() {
    for (how, code) in [("main", 101), ("thread", 101)] {
        let mut pty = spawn(
            &["--delay", "0.2"],
            &[("THREADTOP_TEST_PANIC", how)],
            100,
            30,
        );
        let status = pty.wait_exit(WAIT).expect("exits after the panic");
        assert_eq!(status.code(), Some(code), "{how}");
        assert_restored(&pty);
        let raw = pty.raw_output();
        // It did get as far as the alternate screen and the first frame.
        assert!(contains(&raw, b"\x1b[?1049h"), "{how}: never set up");
        assert!(contains(&raw, b"about-to-panic"), "{how}: no first frame");
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("deliberate panic"), "{how}: report {text}");
    }
}

#[test]
fn json_into_a_closed_pipe_exits_quietly_with_141() {
    let mut child = support::command()
        .args(["--json", "--delay", "0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run --json");
    // The reader goes away at once, like `| head -c1` after one byte.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("exits");
    assert_eq!(out.status.code(), Some(141), "128 + SIGPIPE");
    assert!(
        out.stderr.is_empty(),
        "no message for a closed pipe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn term_dumb_is_refused_in_one_line_and_other_terminal_types_work() {
    let mut pty = spawn(&[] as &[&str], &[("TERM", "dumb")], 80, 24);
    let status = pty.wait_exit(WAIT).expect("exits");
    assert_eq!(status.code(), Some(2));
    let raw = pty.raw_output();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.contains("TERM=dumb") && text.contains("--json"),
        "{text}"
    );
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert!(
        !contains(&raw, b"\x1b["),
        "no escape sequence sent to a dumb terminal"
    );
    assert_restored(&pty);

    for term in ["vt100", "linux", "xterm"] {
        let mut pty = spawn(&["--delay", "0.2"], &[("TERM", term)], 80, 24);
        pty.wait_for_text("TGID", WAIT)
            .unwrap_or_else(|e| panic!("TERM={term}: {e}"));
        pty.send(b"q");
        assert_eq!(
            pty.wait_exit(WAIT).expect("exits").code(),
            Some(0),
            "{term}"
        );
        assert_restored(&pty);
    }
}

#[test]
fn no_color_means_no_colour_sequences_at_all() {
    let run = |env: &[(&str, &str)]| {
        let mut pty = spawn(&["--delay", "0.2"], env, 100, 30);
        pty.wait_for_text("TGID", WAIT).expect("drawn");
        pty.send(b"?");
        pty.wait_for_text("threadtop help", WAIT).expect("help");
        pty.send(b"q");
        pty.send(b"q");
        assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
        assert_restored(&pty);
        pty.raw_output()
    };
    // The check can see colour when there is some.
    assert!(sets_colour(&run(&[])), "colour expected without NO_COLOR");
    let raw = run(&[("NO_COLOR", "1")]);
    assert!(
        !sets_colour(&raw),
        "colour under NO_COLOR: {}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn hostile_names_keep_the_columns_and_never_reach_the_terminal_raw() {
    let long_arg = "A".repeat(20_000);
    let w = workload(&[
        "--name",
        "ttname) S 1 (xy",
        "--thread-name",
        "tab\there\nnl",
        "--thread-name",
        "\u{9b}31mc1",
        "--thread-name",
        "\u{202e}rlo",
        "--thread-name",
        "\x1b]52;c;YQ==\x07",
        "--sleep",
        "1",
        "--seconds",
        "120",
        "--thread-name",
        &long_arg,
    ]);
    // 15-byte comms: the kernel keeps exactly that many.
    assert!(w.threads.iter().all(|(_, n)| n.len() <= 15));
    let pid = w.pid.to_string();
    let mut pty = spawn(&["--filter", &pid, "--delay", "0.3"], &[], 160, 30);
    let screen = pty
        .wait_for("every hostile thread shown", WAIT, |s| {
            s.contains("tab\\there\\nnl")
                && s.contains("\\u{9b}31mc1")
                && s.contains("\\u{202e}rlo")
                && s.contains("\\e]52;c;YQ==\\x07")
                && s.contains("AAAAAAAAAAAAAAA")
                && support::table_lines(s).len() == w.threads.len() + 1
        })
        .expect("escaped names");
    // Every table row has its TGID in the same columns: no name shifted anything.
    let lines: Vec<&str> = screen.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.contains("TID") && l.contains("TGID"))
        .expect("header");
    let tgid_end = lines[head].find("TGID").expect("TGID") + 4;
    let rows: Vec<&&str> = lines[head + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), w.threads.len() + 1, "{screen}");
    for row in rows {
        let cell: String = row.chars().take(tgid_end).collect();
        assert!(cell.trim_end().ends_with(&pid), "column shifted: {row:?}");
        assert!(row.chars().count() <= 160, "{row:?}");
    }
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    let raw = pty.raw_output();
    for needle in [&b"\x1b]52"[..], b"\xc2\x9b", "\u{202e}".as_bytes(), b"\t"] {
        assert!(
            !contains(&raw, needle),
            "raw {needle:?} reached the terminal"
        );
    }
}

fn root_with(tool: &str) -> Option<&'static Path> {
    let path: &'static Path = match tool {
        "setpriv" => Path::new("/usr/bin/setpriv"),
        _ => Path::new("/usr/bin/unshare"),
    };
    (rustix::process::geteuid().is_root() && path.exists()).then_some(path)
}

#[test]
fn as_nobody_under_hidepid_it_shows_its_own_tasks_and_says_what_is_hidden() {
    let (Some(unshare), Some(setpriv)) = (root_with("unshare"), root_with("setpriv")) else {
        eprintln!("skipped: needs root, /usr/bin/unshare and /usr/bin/setpriv");
        return;
    };
    // Inside a private mount and PID namespace: a fresh /proc with hidepid=2, a root-owned
    // sleep, and threadtop as nobody. The script prints why it could not, if it cannot.
    let script = format!(
        "mount -o remount,hidepid=2 /proc || {{ echo 'NOHIDEPID'; sleep 5; exit 0; }}; \
         sleep 600 & \
         {} --reuid=65534 --regid=65534 --clear-groups -- {THREADTOP} --delay 0.3; \
         echo \"threadtop exited $?\"; sleep 2",
        setpriv.display()
    );
    let args = [
        "--mount",
        "--pid",
        "--fork",
        "--mount-proc",
        "sh",
        "-c",
        &script,
    ];
    let mut pty = Pty::spawn(unshare, &args, &[], 160, 30).expect("start unshare");
    let screen = match pty.wait_for("drawn or refused", WAIT, |s| {
        s.contains("TGID") || s.contains("NOHIDEPID") || s.contains("exited")
    }) {
        Ok(s) if s.contains("TGID") => s,
        other => {
            eprintln!("skipped: no hidepid namespace here: {other:?}");
            return;
        }
    };
    drop(screen);
    // Own process shown, and the header says what is hidden: waited for together.
    let screen = pty
        .wait_for_all(
            &["hidepid", "other users' processes are hidden", "nobody"],
            WAIT,
        )
        .expect("the header says hidepid");
    assert!(
        !screen.contains("sleep 600"),
        "root's process is hidden: {screen}"
    );
    // No error spam: no 'unreadable' note, no '?' state rows.
    assert!(!screen.contains("unreadable"), "{screen}");
    pty.send(b"q");
    pty.wait_for_text("threadtop exited 0", WAIT)
        .expect("threadtop quits with 0");
    assert_restored(&pty);
    pty.wait_exit(WAIT);

    // The same through --json: only our own task, hidepid flagged, nothing on stderr.
    let script = format!(
        "mount -o remount,hidepid=2 /proc || exit 3; sleep 600 & \
         {} --reuid=65534 --regid=65534 --clear-groups -- {THREADTOP} --json --delay 0.1",
        setpriv.display()
    );
    let out = Command::new(unshare)
        .env("XDG_CONFIG_HOME", support::NO_CONFIG_DIR)
        .args([
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            &script,
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["system"]["hidepid"], true);
    let procs = v["processes"].as_array().expect("processes");
    assert!(!procs.is_empty());
    assert!(procs.iter().all(|p| p["user"] == "nobody"), "{procs:?}");
}

#[test]
fn as_nobody_without_hidepid_everything_is_listed_without_errors() {
    let Some(setpriv) = root_with("setpriv") else {
        eprintln!("skipped: needs root and /usr/bin/setpriv");
        return;
    };
    let w = workload(&["--name", "ttrootown", "--sleep", "1"]);
    let out = Command::new(setpriv)
        .env("XDG_CONFIG_HOME", support::NO_CONFIG_DIR)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([THREADTOP, "--json", "--delay", "0.1"])
        .output()
        .expect("run");
    if !out.status.success() {
        eprintln!("skipped: threadtop cannot run as nobody here: {out:?}");
        return;
    }
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let tasks = v["tasks"].as_array().expect("tasks");
    // Root's workload is listed with real values, not marked unreadable.
    for (tid, name) in &w.threads {
        let t = tasks
            .iter()
            .find(|t| t["tid"] == *tid)
            .unwrap_or_else(|| panic!("{tid} listed"));
        assert_eq!(t["name"], String::from_utf8_lossy(name).as_ref());
        assert!(t["unreadable"].is_null(), "{t}");
    }
    // Whatever is unreadable says why, in the documented words.
    for t in tasks {
        assert!(
            t["unreadable"].is_null() || t["unreadable"] == "denied",
            "{t}"
        );
    }
}

/// README's goal (issue 18): at most 16 MiB peak RSS at 10,000 tasks on the /proc path
/// (`--events off`). Checked on the heap and other anonymous memory, which is what grows
/// with the tasks (the test runs the debug build, whose larger binary adds about 9-13 MiB
/// of file-backed pages), and scaled with the tasks the machine runs beyond 10,000 (other
/// tests' threads count too).
///
/// Measured (debug build): 21.9 MiB anonymous at 10,000 threads before issue 18's memory
/// work, when every thread of a folded pool still got a row each tick (13 MB at the peak
/// of building them) and the CPU history grew by doubling; after it, 30.5 MiB anonymous
/// at 25,230 tasks on a shared machine (12.1 MiB per 10,000).
const GOAL_KIB_PER_10K_TASKS: u64 = 16 * 1024;

/// Starts `threads` sleeping threads (plus one busy) in `procs` processes and checks the UI
/// stays usable: the count shows up, keys answer (filter, fold, help), memory stays within
/// README's goal.
fn many_threads(threads: usize, procs: usize) {
    let _one = heavy();
    let each = (threads / procs).to_string();
    let mut workloads = Vec::new();
    for _ in 0..procs {
        match try_workload(&["--name", "ttmany", "--busy", "1", "--sleep", &each]) {
            Ok(w) => workloads.push(w),
            Err(e) => {
                eprintln!("skipped: this machine cannot start {threads} threads:\n{e}");
                return;
            }
        }
    }
    let w = &workloads[0];
    let pid = w.pid.to_string();
    // The /proc path, which every unprivileged user gets; the events path is bounded apart
    // (see GOAL_KIB_PER_10K_TASKS).
    let mut pty = spawn(&["--delay", "0.5", "--events", "off"], &[], 160, 40);
    pty.wait_for("every thread counted", Duration::from_secs(120), |s| {
        s.lines()
            .find(|l| l.starts_with("Tasks "))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
            .is_some_and(|t| t > threads)
    })
    .expect("task count covers the workload");
    let mut tasks = machine_tasks();
    // Keys are handled while scans of this size go on.
    pty.send(b"/");
    pty.send(pid.as_bytes());
    pty.send_key("Enter");
    pty.wait_for_text("busy-0", WAIT).expect("filtered");
    pty.send_key("Home");
    pty.send_key("Enter");
    pty.wait_for("folded", WAIT, |s| {
        s.contains("▸ ttmany") && !s.contains("sleep-0")
    })
    .expect("fold");
    pty.send(b"/");
    pty.send_key("Ctrl-U");
    pty.send(b"sleep-1234");
    pty.wait_for_text("sleep-1234", WAIT)
        .expect("thread filter");
    pty.send_key("Enter");
    pty.send(b"?");
    pty.wait_for_text("threadtop help", WAIT).expect("help");
    pty.send_key("Esc");
    pty.wait_for("help closed", WAIT, |s| !s.contains("threadtop help"))
        .expect("help closes");
    tasks = tasks.max(machine_tasks());
    let kib = |field| status_kib(pty.pid(), field).unwrap_or_else(|| panic!("{field}"));
    let (rss, peak, anon, file) = (
        kib("VmRSS:"),
        kib("VmHWM:"),
        kib("RssAnon:"),
        kib("RssFile:"),
    );
    let limit = GOAL_KIB_PER_10K_TASKS * tasks.max(10_000) / 10_000;
    eprintln!(
        "{threads} threads, {tasks} tasks on the machine: threadtop VmRSS {rss} KiB, peak \
         {peak} KiB, anonymous {anon} KiB (limit {limit} KiB), file-backed {file} KiB"
    );
    assert!(anon <= limit, "{anon} KiB anonymous at {tasks} tasks");
    assert!(
        peak.saturating_sub(file) <= limit,
        "peak {peak} KiB, {file} KiB of it file-backed, at {tasks} tasks"
    );
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert_restored(&pty);
}

#[test]
fn ten_thousand_threads_keep_the_ui_responsive_and_memory_bounded() {
    many_threads(10_000, 1);
}

/// 50,000 threads in 5 processes (about 4 memory maps a thread: 10,000 in one process fit
/// vm.max_map_count's default of 65,530, 50,000 do not). pid_max can still forbid it (32,768
/// on our 2-CPU test machine): then it says why and skips.
#[test]
#[ignore = "long: 50,000 threads; cargo test --release --test e2e_robust -- --ignored"]
fn fifty_thousand_threads_keep_the_ui_responsive_and_memory_bounded() {
    let pid_max: usize = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if pid_max < 60_000 {
        eprintln!(
            "skipped: kernel.pid_max is {pid_max}, too few TIDs for 50,000 threads \
             (sysctl kernel.pid_max=4194304 allows it)"
        );
        return;
    }
    many_threads(50_000, 5);
}

/// Runs threadtop at a 100 ms tick against constant thread churn for `secs`, sampling its
/// RSS and descriptors each second. RSS after the first third may exceed its maximum during
/// that first third by at most `RSS_GROWTH_MIB`, plus `PER_TASK_KIB` for each task the
/// machine runs beyond its first-third maximum (other programs may start threads meanwhile);
/// descriptors stay bounded.
fn soak(secs: u64) {
    const RSS_GROWTH_MIB: u64 = 8;
    const PER_TASK_KIB: u64 = 4;
    let _one = heavy();
    let w = workload(&[
        "--name",
        "ttsoak",
        "--churn",
        "2000",
        "--sleep",
        "50",
        "--seconds",
        &(secs + 120).to_string(),
    ]);
    let mut pty = spawn(&["--delay", "0.1"], &[], 120, 40);
    pty.wait_for_text("TGID", WAIT).expect("drawn");
    // Scroll and unfold now and then, so the screen plan changes too.
    let started = Instant::now();
    let mut samples: Vec<(u64, u64, usize, u64)> = Vec::new();
    let mut i = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(1));
        let rss = rss_kib(pty.pid()).expect("threadtop alive");
        samples.push((
            started.elapsed().as_secs(),
            rss,
            open_fds(pty.pid()),
            machine_tasks(),
        ));
        i += 1;
        if i.is_multiple_of(5) {
            pty.send(if i.is_multiple_of(10) {
                b"\x1b[B"
            } else {
                b"}"
            });
        }
    }
    assert!(
        pty.exit_status().is_none(),
        "threadtop died during the soak"
    );
    let third = samples.len() / 3;
    let warm = samples[..third].iter().map(|s| s.1).max().unwrap_or(0);
    let late = samples[third..].iter().map(|s| s.1).max().unwrap_or(0);
    let tasks_warm = samples[..third].iter().map(|s| s.3).max().unwrap_or(0);
    let tasks_late = samples[third..].iter().map(|s| s.3).max().unwrap_or(0);
    let allowed = RSS_GROWTH_MIB * 1024 + PER_TASK_KIB * tasks_late.saturating_sub(tasks_warm);
    eprintln!(
        "soak {secs} s: RSS max {} KiB in the first third, {} KiB after; samples {:?}",
        warm,
        late,
        samples
            .iter()
            .step_by(samples.len().div_ceil(20).max(1))
            .collect::<Vec<_>>()
    );
    assert!(
        late <= warm + allowed,
        "RSS grew from {warm} KiB to {late} KiB (allowed {allowed} KiB; machine tasks {tasks_warm} -> {tasks_late})"
    );
    // Two kept-open files (stat, schedstat) per live task at most, plus a few directories
    // and the terminal: a leak under churn grows past that. Relative to the machine's task
    // count, since other programs' threads are kept open too.
    let most_tasks = samples.iter().map(|s| s.3).max().unwrap_or(0);
    let fds = samples.iter().map(|s| s.2).max().unwrap_or(0);
    assert!(
        fds as u64 <= 2 * most_tasks + 256,
        "{fds} descriptors open for at most {most_tasks} tasks"
    );
    // Still answering keys at the end.
    pty.send(b"?");
    pty.wait_for_text("threadtop help", WAIT).expect("help");
    pty.send(b"q");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
    assert_restored(&pty);
    drop(w);
}

#[test]
fn short_soak_with_thread_churn_keeps_memory_flat() {
    soak(24);
}

/// The long soak: THREADTOP_SOAK_SECS seconds (default 600).
#[test]
#[ignore = "long: THREADTOP_SOAK_SECS=600 cargo test --release --test e2e_robust -- --ignored"]
fn long_soak_with_thread_churn_keeps_memory_flat() {
    let secs = std::env::var("THREADTOP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    soak(secs);
}

/// `--json` under thread churn that wraps TIDs: never a TID twice, and a process's
/// `threads` and `cpu_percent` are those of the tasks listed under it (a TID counted twice
/// made a process of 13 threads show 201 %, issue 19).
#[test]
fn json_lists_each_task_once_while_tids_wrap() {
    let w = workload(&["--name", "ttjsonwrap", "--cycle", "8", "--busy", "1"]);
    let _wrap = support::TidWrapper::start();
    for _ in 0..25 {
        let out = support::command()
            .args(["--json", "--delay", "0.2", "-p", &w.pid.to_string()])
            .output()
            .expect("run --json");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        let tasks = v["tasks"].as_array().expect("tasks");
        let mut tids: Vec<u64> = tasks.iter().filter_map(|t| t["tid"].as_u64()).collect();
        assert_eq!(tids.len(), tasks.len(), "every task has a TID");
        tids.sort_unstable();
        let before = tids.len();
        tids.dedup();
        assert_eq!(tids.len(), before, "a TID listed twice: {tasks:?}");
        let p = v["processes"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["tgid"] == w.pid))
            .expect("the workload is listed");
        let mine: Vec<&serde_json::Value> = tasks.iter().filter(|t| t["tgid"] == w.pid).collect();
        assert_eq!(p["threads"].as_u64(), Some(mine.len() as u64), "{p}");
        let sum: f64 = mine.iter().filter_map(|t| t["cpu_percent"].as_f64()).sum();
        let shown = p["cpu_percent"].as_f64().expect("cpu_percent");
        assert!(
            (shown - sum).abs() < 0.01,
            "process {shown} %, its tasks {sum} %"
        );
        let cpus = v["cpus"].as_array().map_or(1, Vec::len).max(1) as f64;
        assert!(shown <= 100.0 * cpus + 0.01, "{shown} % on {cpus} CPUs");
    }
}

/// `cmd` run with RLIMIT_NOFILE at `n` (soft and hard).
fn with_nofile(cmd: &mut Command, n: u64) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is a single async-signal-safe system call; nothing is shared.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::setrlimit(
                rustix::process::Resource::Nofile,
                rustix::process::Rlimit {
                    current: Some(n),
                    maximum: Some(n),
                },
            )
            .map_err(std::io::Error::from)
        })
    }
}

/// Out of file descriptors is said as such: in `--json` a task threadtop could not open is
/// `"no_descriptors"` (it was `"malformed"` for every task at 9), and the display refuses
/// to start with that reason (it said "terminal lost" at 9-11).
#[test]
fn running_out_of_descriptors_is_named() {
    // The /proc path: as root the BPF task iterator would read the tasks without opening
    // a file each (and it needs only a few descriptors, so it loads even at 9).
    let out = with_nofile(&mut support::command(), 9)
        .args(["--json", "--delay", "0.1", "--events", "off"])
        .output()
        .expect("run --json");
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let tasks = v["tasks"].as_array().expect("tasks");
    let reasons: std::collections::BTreeSet<String> =
        tasks.iter().map(|t| t["unreadable"].to_string()).collect();
    assert!(
        reasons.contains("\"no_descriptors\""),
        "at 9 descriptors some task cannot be opened: {reasons:?}"
    );
    assert!(
        !reasons.contains("\"malformed\"") && !reasons.contains("\"denied\""),
        "{reasons:?}"
    );
    // The display: one line naming the limit, status 2, before the terminal is touched.
    let prlimit = Path::new("/usr/bin/prlimit");
    if !prlimit.exists() {
        eprintln!("skipped the display part: needs /usr/bin/prlimit (util-linux)");
        return;
    }
    let mut pty =
        Pty::spawn(prlimit, &["--nofile=9:9", THREADTOP], &[], 80, 24).expect("start in a pty");
    let status = pty.wait_exit(WAIT).expect("exits");
    assert_eq!(status.code(), Some(2), "{}", pty.screen_text());
    let screen = pty.screen_text();
    assert!(
        screen.contains("out of file descriptors") && screen.contains("RLIMIT_NOFILE allows 9"),
        "{screen}"
    );
    assert!(!screen.contains("terminal lost"), "{screen}");
}
