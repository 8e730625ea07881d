//! Real cgroups: a workload with two busy threads in a cgroup limited to half a CPU shows
//! its limit and its throttling in `--json`; one in a cpuset of one CPU shows that cpuset.
//! Needs root and a writable cgroup filesystem (v1 `cpu`/`cpuset` hierarchies, or v2 with
//! those controllers); skipped with the reason printed otherwise. The cgroups are named
//! with this test process's PID and removed at the end, also when a test fails.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cgroups::{Made, write};
use support::{command, workload};
use threadtop::collect::cgroup::mounts::Mounts;

/// How long a test waits for what it asserts (a loaded machine can be slow to throttle).
const WAIT: Duration = Duration::from_secs(90);

/// The mount of a v1 hierarchy with `controller`, or the v2 mount when it offers it.
enum Where {
    V1(PathBuf),
    V2(PathBuf),
}

fn place(controller: &str) -> Result<Where, String> {
    if !rustix::process::geteuid().is_root() {
        return Err("needs root to make cgroups".into());
    }
    let m = Mounts::read(Path::new("/proc"));
    let v1 = match controller {
        "cpu" => m.cpu,
        _ => m.cpuset,
    };
    if let Some(v1) = v1 {
        return Ok(Where::V1(v1.point));
    }
    if let Some(v2) = m.v2 {
        let offered =
            std::fs::read_to_string(v2.point.join("cgroup.controllers")).unwrap_or_default();
        if offered.split_whitespace().any(|c| c == controller) {
            return Ok(Where::V2(v2.point));
        }
    }
    Err(format!(
        "no cgroup hierarchy with the {controller} controller is mounted"
    ))
}

/// Makes the test's cgroup `name` for `controller`; returns its directory.
fn make(at: &Where, controller: &str, name: &str, made: &mut Made) -> Result<PathBuf, String> {
    let (root, v2) = match at {
        Where::V1(r) => (r, false),
        Where::V2(r) => (r, true),
    };
    if v2 {
        // Children get the controller only when their parent hands it down.
        write(
            &root.join("cgroup.subtree_control"),
            &format!("+{controller}"),
        )?;
    }
    let dir = root.join(name);
    std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    made.0.push(dir.clone());
    Ok(dir)
}

fn json(pid: u32) -> Value {
    let out = command()
        .args(["--json", "--delay", "1", "-p", &pid.to_string()])
        .output()
        .expect("run threadtop --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The `cgroups[]` entry of the workload's leader's cgroup, and the leader's `cgroup`.
fn its_cgroup(v: &Value, pid: u32) -> Option<(String, Value)> {
    let task = v["tasks"]
        .as_array()?
        .iter()
        .find(|t| t["tid"].as_u64() == Some(u64::from(pid)))?;
    let path = task["cgroup"].as_str()?.to_string();
    let entries: Vec<&Value> = v["cgroups"]
        .as_array()?
        .iter()
        .filter(|c| c["path"].as_str() == Some(path.as_str()))
        .collect();
    // On v1 the cpuset may be another cgroup than the cpu one: the entry that says so.
    let entry = entries
        .iter()
        .find(|c| !c["cpuset_path"].is_null())
        .or(entries.first())?;
    Some((path, (*entry).clone()))
}

#[test]
fn two_busy_threads_in_half_a_cpu_are_throttled_and_json_says_so() {
    let at = match place("cpu") {
        Ok(a) => a,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let name = format!("threadtop-test-{}-quota", std::process::id());
    let mut made = Made(Vec::new());
    let dir = match make(&at, "cpu", &name, &mut made) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: cannot make a cgroup: {why}");
            return;
        }
    };
    match &at {
        Where::V1(_) => {
            write(&dir.join("cpu.cfs_period_us"), "100000").expect("period");
            write(&dir.join("cpu.cfs_quota_us"), "50000").expect("quota");
            // The most weight: with an ordinary one, under load, the group got 21 % of a
            // CPU, never reached its quota and was never throttled.
            write(&dir.join("cpu.shares"), "262144").expect("shares");
            // Usage comes from cpuacct: the same cgroup there, when it is its own hierarchy.
            let m = Mounts::read(Path::new("/proc"));
            if let Some(acct) = m
                .cpuacct
                .filter(|a| Some(&a.point) != m.cpu.as_ref().map(|c| &c.point))
            {
                let d = acct.point.join(&name);
                if std::fs::create_dir(&d).is_ok() {
                    made.0.push(d);
                }
            }
        }
        Where::V2(_) => {
            write(&dir.join("cpu.max"), "50000 100000").expect("cpu.max");
            write(&dir.join("cpu.weight"), "10000").expect("cpu.weight");
        }
    }
    let w = workload(&["--name", "tt-cg-quota", "--busy", "2", "--seconds", "300"]);
    for d in &made.0 {
        write(&d.join("cgroup.procs"), &w.pid.to_string()).expect("move the workload");
    }
    let want_path = format!("/{name}");
    let until = Instant::now() + WAIT;
    let mut last = Value::Null;
    loop {
        let v = json(w.pid);
        if let Some((path, entry)) = its_cgroup(&v, w.pid) {
            assert_eq!(path, want_path, "{v}");
            assert_eq!(entry["cpu_limit"].as_f64(), Some(0.5), "{entry}");
            assert_eq!(entry["name"], name.as_str());
            // Every thread of the workload is in it.
            for t in v["tasks"].as_array().expect("tasks") {
                assert_eq!(t["cgroup"], want_path.as_str(), "{t}");
            }
            if entry["throttled_percent"].as_f64().is_some_and(|p| p > 0.0)
                && entry["nr_throttled_per_sec"]
                    .as_f64()
                    .is_some_and(|n| n > 0.0)
            {
                // Half a CPU at most (a period's worth of slack at the interval's edges).
                if let Some(u) = entry["usage_percent"].as_f64() {
                    assert!(
                        u <= 70.0,
                        "used {u} % of a CPU under a 0.5 CPU limit: {entry}"
                    );
                }
                assert!(
                    entry["throttled_periods_percent"]
                        .as_f64()
                        .is_some_and(|p| p > 0.0),
                    "{entry}"
                );
                return;
            }
            last = entry;
        }
        assert!(
            Instant::now() < until,
            "not throttled within {WAIT:?}; last entry: {last}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_cpuset_of_one_cpu_shows_in_json() {
    let at = match place("cpuset") {
        Ok(a) => a,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let name = format!("threadtop-test-{}-cpuset", std::process::id());
    let mut made = Made(Vec::new());
    let dir = match make(&at, "cpuset", &name, &mut made) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: cannot make a cgroup: {why}");
            return;
        }
    };
    if let Where::V1(root) = &at {
        // A v1 cpuset needs its memory nodes set before it takes a task.
        let mems = std::fs::read_to_string(root.join("cpuset.mems")).unwrap_or_else(|_| "0".into());
        write(&dir.join("cpuset.mems"), mems.trim()).expect("mems");
        write(&dir.join("cpuset.cpus"), "0").expect("cpus");
    } else {
        write(&dir.join("cpuset.cpus"), "0").expect("cpus");
    }
    let w = workload(&["--name", "tt-cg-cpuset", "--sleep", "2", "--seconds", "300"]);
    write(&dir.join("cgroup.procs"), &w.pid.to_string()).expect("move the workload");
    let until = Instant::now() + WAIT;
    loop {
        let v = json(w.pid);
        if let Some((_, entry)) = its_cgroup(&v, w.pid)
            && entry["cpuset"] == "0"
        {
            let expect = format!("/{name}");
            match at {
                Where::V1(_) => assert_eq!(entry["cpuset_path"], expect.as_str(), "{entry}"),
                Where::V2(_) => assert_eq!(entry["path"], expect.as_str(), "{entry}"),
            }
            return;
        }
        assert!(
            Instant::now() < until,
            "cpuset not shown within {WAIT:?}: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn another_users_unreadable_cgroup_is_unknown_with_the_reason() {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !setpriv.exists() {
        eprintln!("skipped: needs /usr/bin/setpriv to run as nobody");
        return;
    }
    let at = match place("cpu") {
        Ok(a) => a,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let name = format!("threadtop-test-{}-denied", std::process::id());
    let mut made = Made(Vec::new());
    let dir = match make(&at, "cpu", &name, &mut made) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: cannot make a cgroup: {why}");
            return;
        }
    };
    let w = workload(&["--name", "tt-cg-denied", "--sleep", "1", "--seconds", "300"]);
    write(&dir.join("cgroup.procs"), &w.pid.to_string()).expect("move the workload");
    // Only root may look inside it now.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("chmod");
    let out = std::process::Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(support::THREADTOP)
        .args([
            "--json",
            "--no-config",
            "--delay",
            "0.2",
            "-p",
            &w.pid.to_string(),
        ])
        .output()
        .expect("run threadtop as nobody");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let (path, entry) = its_cgroup(&v, w.pid).expect("its cgroup is listed");
    // The path is known (from /proc), the facts are not, and the reason says why.
    assert_eq!(path, format!("/{name}"));
    assert!(entry["cpu_limit"].is_null(), "{entry}");
    assert_eq!(entry["unknown"]["cpu_limit"], "denied", "{entry}");
    assert_eq!(entry["unknown"]["throttled_percent"], "denied", "{entry}");
    // Everything else is still there.
    assert!(v["tasks"].as_array().is_some_and(|t| t.len() == 2), "{v}");
}
