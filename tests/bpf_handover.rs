//! The BPF programs are loaded by a short-lived child process that hands their
//! descriptors to threadtop (`events::handover`): the load's memory (the kernel's BTF
//! parsed, about 16 MiB of heap) is never threadtop's. These run the real binary.

mod support;

use threadtop::collect::events::{Mode, source};

fn json(envs: &[(&str, &str)], args: &[&str]) -> serde_json::Value {
    let mut cmd = support::command();
    cmd.args(["--json", "--delay", "0.2", "--events", "on"])
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Whether the output lists this test's own task.
fn lists_this_test(v: &serde_json::Value) -> bool {
    let me = u64::from(std::process::id());
    v["tasks"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["tid"].as_u64() == Some(me)))
}

/// Whether the events can load here at all (in this process: the test binary is not
/// threadtop, so the library loads in-process).
fn events_here() -> bool {
    match source::start(Mode::On) {
        Ok(source::Start::Running(_)) => true,
        Ok(source::Start::Unavailable(why)) | Err(why) => {
            eprintln!("SKIPPED: the scheduling events cannot run here: {why}");
            false
        }
    }
}

/// The binary's events and task walk come from a child process that is gone, with the
/// figures flowing through the descriptors it handed over.
#[test]
fn the_binary_loads_its_programs_in_a_child_process() {
    if !events_here() {
        return;
    }
    let v = json(&[], &[]);
    let loader = &v["events_loader"];
    assert_eq!(v["events"], "bpf", "{v}");
    assert_eq!(loader["process"], "child", "{loader}");
    assert!(loader["why_not_child"].is_null(), "{loader}");
    assert!(
        loader["child_peak_rss_bytes"]
            .as_u64()
            .is_some_and(|b| b > 0),
        "{loader}"
    );
    let pid = loader["child_pid"].as_u64().expect("the child's PID");
    // It exited once it handed over (reaped by threadtop, which has exited too).
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() != "tt-bpf-loader"),
        "the loader {pid} is still there"
    );
    // The walk came over with the events, and read every task.
    assert_eq!(
        v["system"]["task_source"], "bpf_iterator",
        "{}",
        v["system"]
    );
    assert!(lists_this_test(&v), "this test's own task is not listed");
    // The events' figures came through the handed-over maps: threadtop's own threads ran.
    let ran = v["tasks"].as_array().is_some_and(|ts| {
        ts.iter()
            .any(|t| t["cpu_time_ms"].as_object().is_some_and(|m| !m.is_empty()))
    });
    assert!(ran, "no task has event figures");
}

/// Where the walk is not loaded, `iter/task` is, and its link comes over the same way.
#[test]
fn iter_task_is_handed_over_too() {
    if !events_here() {
        return;
    }
    let v = json(&[("THREADTOP_TEST_NO_WALK", "1")], &[]);
    assert_eq!(
        v["events_loader"]["process"], "child",
        "{}",
        v["events_loader"]
    );
    assert_eq!(v["system"]["task_program"], "iter_task", "{}", v["system"]);
    assert!(
        lists_this_test(&v),
        "this test's own task is not listed through iter/task"
    );
}

/// A child that cannot start, or ends without an answer: threadtop loads the programs
/// itself and says why.
#[test]
fn without_a_child_threadtop_loads_them_itself_and_says_why() {
    if !events_here() {
        return;
    }
    for (exe, why) in [
        ("/nonexistent/threadtop", "/nonexistent/threadtop"),
        ("/bin/true", "without an answer"),
    ] {
        let v = json(&[("THREADTOP_TEST_LOADER_EXE", exe)], &[]);
        let loader = &v["events_loader"];
        assert_eq!(v["events"], "bpf", "{v}");
        assert_eq!(loader["process"], "threadtop", "{loader}");
        assert!(
            loader["why_not_child"]
                .as_str()
                .is_some_and(|w| w.contains(why)),
            "{loader}"
        );
        assert_eq!(
            v["system"]["task_source"], "bpf_iterator",
            "{}",
            v["system"]
        );
    }
}

/// A loading child that crashes (here: killed by SIGSEGV, as a bad BTF parse would be)
/// is not followed by a load in threadtop, which the same crash would take down: the
/// events and the task iterator are unavailable, with the reason, and the /proc path runs.
#[test]
fn a_crashed_child_is_not_retried_in_threadtop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = dir.path().join("crashing-loader");
    std::fs::write(&exe, "#!/bin/sh\nkill -SEGV $$\n").expect("write the script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let exe = exe.to_str().expect("a UTF-8 path");
    let mut cmd = support::command();
    cmd.args(["--json", "--delay", "0.2", "--events", "auto"])
        .env("THREADTOP_TEST_LOADER_EXE", exe);
    let out = cmd.output().expect("run --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let why = v["events_unavailable"].as_str().unwrap_or_default();
    assert!(
        why.contains("SIGSEGV") && why.contains("not loaded in threadtop"),
        "{v}"
    );
    assert_eq!(v["system"]["task_source"], "proc", "{}", v["system"]);
    let not_iter = v["system"]["task_source_why_not"]
        .as_str()
        .unwrap_or_default();
    assert!(not_iter.contains("SIGSEGV"), "{}", v["system"]);
    assert!(v["tasks"].as_array().is_some_and(|t| !t.is_empty()));
    // `--events on` fails at start, saying so.
    let out = support::command()
        .args(["--json", "--delay", "0.2", "--events", "on"])
        .env("THREADTOP_TEST_LOADER_EXE", exe)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not loaded in threadtop"), "{err}");
}

/// `THREADTOP_BPF_LOADER` set on a terminal (not a socket) is not taken for the loader's
/// role: threadtop runs as asked.
#[test]
fn the_loader_variable_alone_does_not_make_a_loader() {
    let out = support::command()
        .env("THREADTOP_BPF_LOADER", "events")
        .args(["--json", "--delay", "0.2", "--events", "off"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON, not a loader");
    assert!(v["tasks"].as_array().is_some_and(|t| !t.is_empty()));
}
