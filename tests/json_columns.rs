//! The per-task and per-process figures people keep htop open for, in `--json`: CPU time
//! (TIME+), storage I/O rates from /proc/TID/io (null with the reason where it cannot be
//! read), VIRT, SHR and MEM% from statm.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{THREADTOP, command, workload};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

fn json(args: &[&str]) -> serde_json::Value {
    let out = command().args(args).output().expect("run threadtop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn task(v: &serde_json::Value, tid: u32) -> &serde_json::Value {
    v["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["tid"] == tid))
        .unwrap_or_else(|| panic!("task {tid} in {v}"))
}

#[test]
fn time_memory_and_io_of_a_process_that_writes() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let file = dir.path().join("written");
    let w = workload(&[
        "--name",
        "tt-io",
        "--busy",
        "1",
        "--writer",
        &file.to_string_lossy(),
    ]);
    let pid = w.pid.to_string();
    let (busy, writer) = (
        w.tid("busy-0").expect("busy"),
        w.tid("writer").expect("writer"),
    );
    // Polled: on a loaded machine the busy thread may not have run yet, and a file system
    // that does not account writes (tmpfs) never shows any.
    let start = Instant::now();
    let v = loop {
        let v = json(&["--json", "-p", &pid, "-d", "0.3"]);
        let (b, wr) = (task(&v, busy), task(&v, writer));
        if b["time_secs"].as_f64().unwrap_or(0.0) > 0.0
            && wr["io_write_bytes_per_sec"].as_f64().unwrap_or(0.0) > 0.0
        {
            break v;
        }
        if start.elapsed() > WAIT {
            panic!("no CPU time or no writes seen: {b}\n{wr}");
        }
    };
    for t in v["tasks"].as_array().expect("tasks") {
        // TIME+ is utime + stime in seconds (USER_HZ is 100 on Linux).
        let ticks =
            t["utime_ticks"].as_u64().expect("utime") + t["stime_ticks"].as_u64().expect("stime");
        let secs = t["time_secs"].as_f64().expect("time_secs");
        assert!((secs - ticks as f64 / 100.0).abs() < 1e-9, "{t}");
        assert!(t["io_unreadable"].is_null(), "{t}");
        assert!(
            t["io_read_bytes_per_sec"]
                .as_f64()
                .is_some_and(|r| r >= 0.0),
            "{t}"
        );
    }
    let wr = task(&v, writer);
    assert!(
        wr["io_write_bytes"]
            .as_u64()
            .is_some_and(|b| b >= 64 * 1024),
        "{wr}"
    );
    let p = &v["processes"][0];
    let (rss, virt, shr) = (
        p["rss_bytes"].as_u64().expect("rss"),
        p["virt_bytes"].as_u64().expect("virt_bytes"),
        p["shared_bytes"].as_u64().expect("shared_bytes"),
    );
    // Not `shr <= rss`: RES comes from `stat` and SHR from `statm`, two reads of the
    // kernel's per-CPU RSS counters (approximate since 6.2), so SHR can exceed RES by a
    // few pages: 2,252,800 against 2,199,552 bytes under load. Each is within VIRT.
    assert!(virt >= rss && virt >= shr && rss > 0 && shr > 0, "{p}");
    let mem = p["mem_percent"].as_f64().expect("mem_percent");
    let total = v["system"]["memory_total_bytes"].as_u64().expect("total");
    assert!(
        (mem - rss as f64 * 100.0 / total as f64).abs() < 1e-9,
        "{p}"
    );
    assert!(p["memory_unreadable"].is_null(), "{p}");
}

#[test]
fn io_of_another_users_task_is_null_and_says_denied() {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !(rustix::process::geteuid().is_root() && setpriv.exists()) {
        eprintln!("skipped: needs root and /usr/bin/setpriv to look as nobody");
        return;
    }
    let w = workload(&["--name", "tt-io-root", "--sleep", "1"]);
    let out = Command::new(setpriv)
        .env("XDG_CONFIG_HOME", support::NO_CONFIG_DIR)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([
            THREADTOP,
            "--json",
            "--delay",
            "0.1",
            "-p",
            &w.pid.to_string(),
        ])
        .output()
        .expect("run");
    if !out.status.success() {
        eprintln!("skipped: threadtop cannot run as nobody here: {out:?}");
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for (tid, _) in &w.threads {
        let t = task(&v, *tid);
        assert_eq!(t["io_unreadable"], "denied", "{t}");
        for k in [
            "io_read_bytes",
            "io_write_bytes",
            "io_read_bytes_per_sec",
            "io_write_bytes_per_sec",
        ] {
            assert!(t[k].is_null(), "{k}: {t}");
        }
        // The rest of the task is still there.
        assert!(t["time_secs"].is_number(), "{t}");
    }
    // statm is readable by anyone.
    assert!(v["processes"][0]["virt_bytes"].is_u64());
}
