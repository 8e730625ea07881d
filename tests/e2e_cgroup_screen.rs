//! Real cgroups on the screen, through the binary in a pseudo-terminal: two busy threads in
//! a cgroup limited to half a CPU bring the header's throttling hint and their cgroup's
//! name in the CGROUP column; a workload in a cpuset of one CPU shows in the CPU pane.
//! Needs root and a writable cgroup filesystem; skipped with the reason printed otherwise.
//! The cgroups are named with this test process's PID and removed at the end, also when a
//! test fails.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::cgroups::{Made, write};
use support::{Pty, threadtop, workload};
use threadtop::collect::cgroup::mounts::Mounts;

/// How long a test waits for what it asserts (a loaded machine can be slow to throttle).
const WAIT: Duration = Duration::from_secs(90);

/// Makes cgroup `name` for `controller` (v1 hierarchy with it, else v2 offering it), and
/// returns its directory and whether it is v1.
fn make(controller: &str, name: &str, made: &mut Made) -> Result<(PathBuf, bool), String> {
    if !rustix::process::geteuid().is_root() {
        return Err("needs root to make cgroups".into());
    }
    let m = Mounts::read(Path::new("/proc"));
    let v1 = match controller {
        "cpu" => m.cpu,
        _ => m.cpuset,
    };
    let (root, is_v1) = match (v1, m.v2) {
        (Some(v1), _) => (v1.point, true),
        (None, Some(v2)) => {
            let offered =
                std::fs::read_to_string(v2.point.join("cgroup.controllers")).unwrap_or_default();
            if !offered.split_whitespace().any(|c| c == controller) {
                return Err(format!("the v2 hierarchy does not offer {controller}"));
            }
            write(
                &v2.point.join("cgroup.subtree_control"),
                &format!("+{controller}"),
            )?;
            (v2.point, false)
        }
        (None, None) => {
            return Err(format!(
                "no cgroup hierarchy with the {controller} controller is mounted"
            ));
        }
    };
    let dir = root.join(name);
    std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    made.0.push(dir.clone());
    Ok((dir, is_v1))
}

fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

#[test]
fn a_throttled_cgroup_shows_its_hint_in_the_header_and_its_name_in_the_cgroup_column() {
    // Short: the CGROUP column is 16 wide.
    let name = format!("tt-ui-{}", std::process::id());
    let mut made = Made(Vec::new());
    let (dir, v1) = match make("cpu", &name, &mut made) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    if v1 {
        write(&dir.join("cpu.cfs_period_us"), "100000").expect("period");
        write(&dir.join("cpu.cfs_quota_us"), "50000").expect("quota");
        // The most weight: under load an ordinary one never reached its quota.
        write(&dir.join("cpu.shares"), "262144").expect("shares");
    } else {
        write(&dir.join("cpu.max"), "50000 100000").expect("cpu.max");
        write(&dir.join("cpu.weight"), "10000").expect("cpu.weight");
    }
    let w = workload(&["--name", "tt-cg-ui", "--busy", "2", "--seconds", "300"]);
    write(&dir.join("cgroup.procs"), &w.pid.to_string()).expect("move the workload");
    let pid = w.pid.to_string();
    let pty = Pty::spawn(threadtop(), &["--delay", "0.5", "-p", &pid], &[], 130, 40)
        .expect("start threadtop");
    pty.wait_for_text("busy-1", WAIT)
        .expect("the workload listed");
    // The scheduling set has CGROUP.
    pty.send(b"c");
    let hint = format!("! throttled: {name} ");
    let screen = pty
        .wait_for("the throttling hint and the CGROUP column", WAIT, |s| {
            line_with(s, &hint).is_some()
                && line_with(s, "CGROUP").is_some()
                && s.lines()
                    .filter(|l| l.contains("busy-"))
                    .all(|l| l.contains(&name))
        })
        .expect("hint and column");
    // The hint gives the limit.
    let h = line_with(&screen, &hint).unwrap_or_default();
    assert!(h.contains("(0.5 CPU)"), "{h}");
    // The explain card of a busy thread says it was throttled, with the limit and the
    // threads that want a CPU.
    pty.send(b"e");
    for _ in 0..4 {
        pty.send_key("Down");
        if pty.screen_text().contains("task ") {
            break;
        }
    }
    pty.wait_for("the explain card's throttling line", WAIT, |s| {
        s.contains(&format!("Cgroup: {name} "))
            && s.contains("its cgroup may use 0.5 CPU and its 2 busy threads want 2")
    })
    .expect("explain card");
}

#[test]
fn a_cpuset_of_one_cpu_shows_in_the_cpu_pane() {
    if std::thread::available_parallelism().map_or(0, |n| n.get()) < 2 {
        eprintln!("skipped: one CPU: every cpuset is all of them");
        return;
    }
    let name = format!("tt-set-{}", std::process::id());
    let mut made = Made(Vec::new());
    let (dir, v1) = match make("cpuset", &name, &mut made) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    if v1 {
        let root = dir.parent().unwrap_or(Path::new("/"));
        let mems = std::fs::read_to_string(root.join("cpuset.mems")).unwrap_or_else(|_| "0".into());
        write(&dir.join("cpuset.mems"), mems.trim()).expect("mems");
    }
    write(&dir.join("cpuset.cpus"), "0").expect("cpus");
    let w = workload(&["--name", "tt-cg-set", "--sleep", "2", "--seconds", "300"]);
    write(&dir.join("cgroup.procs"), &w.pid.to_string()).expect("move the workload");
    let pid = w.pid.to_string();
    let pty = Pty::spawn(threadtop(), &["--delay", "0.5", "-p", &pid], &[], 130, 40)
        .expect("start threadtop");
    pty.wait_for_text("sleep-1", WAIT)
        .expect("the workload listed");
    pty.send(b"C");
    // Only the workload is shown: CPU 0 is its cgroup's, CPU 1 no shown cgroup's.
    let screen = pty
        .wait_for("the cpusets in the CPU pane", WAIT, |s| {
            s.contains("cgroup cpusets")
                && line_with(s, "cpu1: no shown cgroup").is_some()
                && line_with(s, "  cpu0: ").is_some()
        })
        .expect("cpuset lines");
    if !v1 {
        // On v2 the cpuset is the cgroup's own, under its name.
        assert!(
            line_with(&screen, &format!("cpu0: {name}")).is_some(),
            "{screen}"
        );
    }
}
