//! Recordings carry each task's cgroup and the cgroups' facts (format 2); a recording made
//! by the previous format (1, before cgroups) still replays, its cgroups unknown with the
//! reason `not_recorded`.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{command, workload};
use threadtop::collect::cgroup::Why;
use threadtop::record::Recording;

/// Written by threadtop before cgroups were recorded (`record -p` of a small workload).
const OLD: &str = "tests/fixture/recording-v1.ttr";

#[test]
fn a_recording_of_the_old_format_replays_with_cgroups_unknown() {
    let rec = Recording::open(Path::new(OLD)).expect("opens");
    assert_eq!(rec.format, 1);
    assert!(rec.ticks.len() >= 2);
    let mut prev = None;
    for i in 0..rec.ticks.len() {
        let snap = rec
            .decode(i, prev.as_ref().map(|s| (i - 1, s)))
            .expect("decodes");
        assert!(snap.task_count() > 0);
        assert_eq!(snap.cgroups.unavailable, Some(Why::NotRecorded));
        prev = Some(snap);
    }
    let v = support::replay_json(Path::new(OLD), "0.5s");
    assert_eq!(v["cgroups_unknown"], "not_recorded");
    assert_eq!(v["cgroups"], Value::Array(Vec::new()));
    let tasks = v["tasks"].as_array().expect("tasks");
    assert!(!tasks.is_empty());
    for t in tasks {
        assert!(t["cgroup"].is_null(), "{t}");
        assert_eq!(t["cgroup_unknown"], "not_recorded", "{t}");
    }
}

#[test]
fn a_new_recording_carries_the_cgroups() {
    let w = workload(&["--name", "tt-rec-cg", "--busy", "1", "--sleep", "1"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cg.ttr");
    let out = command()
        .arg("record")
        .arg(&file)
        .args([
            "-p",
            &w.pid.to_string(),
            "--delay",
            "0.2",
            "--duration",
            "1s",
        ])
        .output()
        .expect("record");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let own = std::fs::read_to_string(format!("/proc/{}/cgroup", w.pid)).expect("cgroup file");
    let v = support::replay_json(&file, "0.5s");
    assert!(v["cgroups_unknown"].is_null(), "{}", v["cgroups_unknown"]);
    let lead = v["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["tid"].as_u64() == Some(u64::from(w.pid)))
        .expect("the workload's leader")
        .clone();
    let path = lead["cgroup"].as_str().expect("a cgroup path").to_string();
    // The path as /proc/PID/cgroup gives it (the v1 cpu line, else the v2 one).
    assert!(
        own.lines().any(|l| l.ends_with(&format!(":{path}"))),
        "{path} not in {own}"
    );
    let entry = v["cgroups"]
        .as_array()
        .expect("cgroups")
        .iter()
        .find(|c| c["path"] == path.as_str())
        .expect("its cgroup listed")
        .clone();
    assert!(entry["version"] == 1 || entry["version"] == 2, "{entry}");
    assert!(entry["name"].is_string(), "{entry}");
    // Rates between recorded ticks, as live.
    assert!(
        entry["usage_percent"].is_number() || entry["unknown"]["usage_percent"].is_string(),
        "{entry}"
    );
}
