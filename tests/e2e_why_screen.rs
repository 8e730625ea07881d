//! "Why is it slow" on the live screen, through the binary in a pty, on one workload with a
//! lock-convoy pool, a pool reading pipes, a pool sleeping in a loop and three busy
//! threads pinned to CPU 1: the WHY column of each pool's row, the why pane (`w`) and the
//! explain card (`e`) of a pool say what `--json` says (tests/e2e_why.rs), with the
//! scheduling events on and with `--events off`. Each check polls the screen until what it
//! asserts is there (a loaded machine can starve the workload for a while).

mod support;

use std::sync::Mutex;
use std::time::Duration;

use support::Pty;

/// The tests measure scheduling: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(120);

/// Why `--events on` cannot run here (`None`: it can).
fn events_unavailable() -> Option<String> {
    let out = support::command()
        .args(["--json", "--events", "on", "--delay", "0.05", "-p", "1"])
        .output()
        .expect("run threadtop");
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The table row of the folded pool `label` ("lock-# ×6 (pool)").
fn pool_row<'a>(screen: &'a str, label: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(label))
}

/// The why pane's bar line of `label` ("pin1-# (3)"), its border stripped.
fn pane_line<'a>(screen: &'a str, label: &str) -> Option<&'a str> {
    screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == '┃'))
        .find(|l| l.starts_with(label))
}

/// The cells of the 20-cell bar after the 16-column label, counted for `part`.
fn bar_cells(line: &str, part: char) -> usize {
    line.chars()
        .skip(17)
        .take(20)
        .filter(|c| *c == part)
        .count()
}

/// The table row drawn in reverse video (the selection, without colour); the header is
/// reversed too.
fn selected(pty: &Pty) -> Option<String> {
    pty.with_screen(|s| {
        let (rows, cols) = s.size();
        (0..rows.get())
            .filter(|&y| s.cell(y, 2).is_some_and(|c| c.inverse()))
            .map(|y| s.contents_between(y, 0, y, cols.get()))
            .find(|l| !(l.contains("TID") && l.contains("NAME")))
    })
}

fn wait(pty: &Pty, what: &str, pred: impl Fn(&str) -> bool) -> String {
    pty.wait_for(what, WAIT, pred)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn on_screen(events: &str) {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n < 2 {
        eprintln!("why on screen: skipped: the pinned threads need two CPUs, this has {n}");
        return;
    }
    if events == "on"
        && let Some(why) = events_unavailable()
    {
        eprintln!("why on screen, events on: skipped: scheduling events cannot load: {why}");
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = support::workload(&[
        "--lock-pool",
        "6",
        "--pipe-pool",
        "3",
        "--nap-pool",
        "3",
        "--busy-on",
        "1",
        "--busy-on",
        "1",
        "--busy-on",
        "1",
    ]);
    let pid = w.pid.to_string();
    let mut pty = support::spawn(
        &[
            "--delay",
            "1",
            "--events",
            events,
            "-p",
            &pid,
            "--sort",
            "name",
            "--columns",
            "tid,state,cpu,wait,why",
        ],
        &[("NO_COLOR", "1")],
        160,
        60,
    );
    // The WHY column of each pool's row, as the daily-driver pooling labels them.
    for (label, verdict) in [
        ("lock-# ×6 (pool)", "lock convoy"),
        ("pipe-# ×3 (pool)", "idle"),
        ("nap-# ×3 (pool)", "sleeping"),
        ("pin1-# ×3 (pool)", "CPU-starved"),
    ] {
        wait(&pty, &format!("WHY {verdict} on {label}"), |s| {
            pool_row(s, label).is_some_and(|r| r.contains(verdict))
        });
    }
    // The why pane of the process.
    pty.send(b"w");
    let source = if events == "on" {
        "off-CPU split: events"
    } else {
        "off-CPU split: sampled"
    };
    wait(&pty, source, |s| {
        s.contains(&format!("why: threadtop-workl ({pid}), {source}"))
    });
    wait(&pty, "the lock pool's convoy in the pane", |s| {
        pane_line(s, "lock-# (6)").is_some_and(|l| l.contains("lock convoy: "))
    });
    // Grouped on one futex: at least four of the six wait on it.
    wait(&pty, "one lock group of the pool", |s| {
        s.lines().any(|l| {
            l.contains("lock futex 0x")
                && l.split(": ")
                    .nth(1)
                    .and_then(|x| x.split(' ').next())
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n >= 4)
        })
    });
    wait(&pty, "the pipe readers' fds named as pipes", |s| {
        pane_line(s, "pipe-# (3)").is_some_and(|l| l.contains("idle: blocked reading a pipe"))
            && (0..3).all(|k| {
                s.lines()
                    .any(|l| l.contains(&format!("pipe-{k} (")) && l.contains("pipe:["))
            })
    });
    wait(&pty, "the nap pool sleeping", |s| {
        pane_line(s, "nap-# (3)").is_some_and(|l| l.contains("sleeping") && bar_cells(l, 's') >= 10)
    });
    // Three threads on one CPU: each waits for it about two thirds of the time (more on a
    // loaded machine); at least 45 %, 9 of the 20 cells.
    wait(&pty, "the pinned threads CPU-starved", |s| {
        pane_line(s, "pin1-# (3)")
            .is_some_and(|l| l.contains("CPU-starved: ") && bar_cells(l, 'q') >= 9)
    });
    pty.send(b"w");
    // The explain card of the pinned pool's row leads with its verdict.
    pty.send(b"e");
    let mut moves = 0;
    loop {
        let row = selected(&pty).unwrap_or_default();
        if row.contains("pin1-# ×3 (pool)") {
            break;
        }
        assert!(moves < 40, "never selected the pinned pool: {row}");
        pty.send_key("Down");
        std::thread::sleep(Duration::from_millis(200));
        moves += 1;
    }
    wait(&pty, "the card leading with the pool's verdict", |s| {
        s.lines()
            .any(|l| l.contains("Why: CPU-starved: waited for a CPU"))
    });
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).and_then(|s| s.code()), Some(0));
}

#[test]
fn pools_verdicts_show_in_the_why_column_pane_and_card_events_on() {
    on_screen("on");
}

#[test]
fn pools_verdicts_show_in_the_why_column_pane_and_card_events_off() {
    on_screen("off");
}

/// A v1 `cpu` hierarchy's mount or the v2 mount offering `cpu`, when this can make cgroups.
fn cpu_cgroup_root() -> Result<(std::path::PathBuf, bool), String> {
    use threadtop::collect::cgroup::mounts::Mounts;
    if !rustix::process::geteuid().is_root() {
        return Err("needs root to make cgroups".into());
    }
    let m = Mounts::read(std::path::Path::new("/proc"));
    if let Some(v1) = m.cpu {
        return Ok((v1.point, false));
    }
    if let Some(v2) = m.v2 {
        let offered =
            std::fs::read_to_string(v2.point.join("cgroup.controllers")).unwrap_or_default();
        if offered.split_whitespace().any(|c| c == "cpu") {
            return Ok((v2.point, true));
        }
    }
    Err("no cgroup hierarchy with the cpu controller is mounted".into())
}

#[test]
fn busy_threads_in_half_a_cpu_are_throttled_on_screen_and_in_json() {
    use support::cgroups::{Made, write};
    let (root, v2) = match cpu_cgroup_root() {
        Ok(r) => r,
        Err(why) => {
            eprintln!("throttled: skipped: {why}");
            return;
        }
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = root.join(format!("threadtop-test-{}-why", std::process::id()));
    if v2 && let Err(why) = write(&root.join("cgroup.subtree_control"), "+cpu") {
        eprintln!("throttled: skipped: {why}");
        return;
    }
    if let Err(e) = std::fs::create_dir(&dir) {
        eprintln!("throttled: skipped: mkdir {}: {e}", dir.display());
        return;
    }
    let _made = Made(vec![dir.clone()]);
    if v2 {
        write(&dir.join("cpu.max"), "50000 100000").expect("cpu.max");
        // A big weight: at load 20 an ordinary one never reaches its quota.
        write(&dir.join("cpu.weight"), "10000").expect("cpu.weight");
    } else {
        write(&dir.join("cpu.cfs_period_us"), "100000").expect("period");
        write(&dir.join("cpu.cfs_quota_us"), "50000").expect("quota");
        write(&dir.join("cpu.shares"), "262144").expect("shares");
    }
    let w = support::workload(&["--name", "tt-why-quota", "--busy", "2"]);
    write(&dir.join("cgroup.procs"), &w.pid.to_string()).expect("move the workload");
    let busy = w.tid("busy-0").expect("busy-0");
    let pid = w.pid.to_string();
    let verdict = "throttled by its cgroup (0.5 CPU)";
    // JSON: the thread's breakdown has the throttled part, within its wait for a CPU.
    let start = std::time::Instant::now();
    loop {
        let out = support::command()
            .args(["--json", "--delay", "1", "-p", &pid])
            .output()
            .expect("run --json");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let t = v["tasks"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["tid"] == busy))
            .cloned()
            .unwrap_or_default();
        let b = &t["breakdown"];
        if t["verdict"] == verdict {
            let th = b["throttled"].as_f64().expect("throttled known");
            let runnable = b["runnable"].as_f64().expect("runnable");
            assert!(th >= 10.0 && th <= runnable + 0.01, "{t}");
            break;
        }
        assert!(start.elapsed() < WAIT, "never throttled in JSON: {t}");
    }
    // The screen: the why pane's line of the thread says so.
    let mut pty = support::spawn(&["--delay", "1", "-p", &pid], &[], 120, 40);
    pty.send(b"w");
    wait(&pty, "the busy thread throttled in the why pane", |s| {
        pane_line(s, &format!("{busy} busy-0")).is_some_and(|l| l.contains(verdict))
    });
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).and_then(|s| s.code()), Some(0));
}
