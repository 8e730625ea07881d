//! End-to-end: what tasks share, on a live test program that makes a thread, a fork child,
//! a clone(CLONE_VM) child, a clone(CLONE_FILES) child and a child in a new UTS namespace.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{Pty, threadtop, workload};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;
const KCMP: [&str; 4] = ["vm", "files", "fs", "sighand"];
const NAMESPACES: [&str; 8] = ["mnt", "pid", "net", "uts", "ipc", "user", "cgroup", "time"];

fn json(program: &Path, pre: &[&str], pids: &[u32]) -> Value {
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let mut cmd = Command::new(program);
    cmd.env("XDG_CONFIG_HOME", support::NO_CONFIG_DIR)
        .env_remove("THREADTOP_CONFIG")
        .args(pre)
        .args(["--json", "--delay", "0.1", "-p", &list.join(",")]);
    let out = cmd.output().expect("run --json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn task<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no task {name} in {v}"))
}

fn same(a: &Value, b: &Value, r: &str) -> bool {
    let (x, y) = (&a["shares"][r], &b["shares"][r]);
    assert!(x.is_u64() && y.is_u64(), "{r}: {x} / {y}");
    x == y
}

#[test]
fn every_clone_flavour_shows_exactly_what_it_shares() {
    // No privilege needed: the workload and its children are our own processes.
    let w = workload(&["--name", "sharer", "--sleep", "1", "--share-demo"]);
    let mut pids = vec![w.pid];
    pids.extend(w.children.iter().map(|c| c.0));
    let v = json(threadtop(), &[], &pids);
    let lead = task(&v, "sharer");
    let thread = task(&v, "sleep-0");
    let fork = task(&v, "fork-child");
    let vm = task(&v, "vm-child");
    let files = task(&v, "files-child");
    for r in KCMP {
        assert!(same(lead, thread, r), "a thread shares {r}");
        assert!(!same(lead, fork, r), "a fork child has its own {r}");
    }
    assert!(
        same(lead, vm, "vm"),
        "CLONE_VM child shares the address space"
    );
    for r in ["files", "fs", "sighand"] {
        assert!(!same(lead, vm, r), "CLONE_VM child has its own {r}");
    }
    assert!(
        same(lead, files, "files"),
        "CLONE_FILES child shares the fd table"
    );
    for r in ["vm", "fs", "sighand"] {
        assert!(!same(lead, files, r), "CLONE_FILES child has its own {r}");
    }
    for ns in NAMESPACES {
        for t in [thread, fork, vm, files] {
            assert!(same(lead, t, ns), "{ns} shared by {}", t["name"]);
        }
    }
    match w.children.iter().find(|c| c.1 == "uts-child") {
        Some(_) => {
            let uts = task(&v, "uts-child");
            assert!(!same(lead, uts, "uts"), "new UTS namespace");
            for ns in NAMESPACES.iter().filter(|n| **n != "uts") {
                assert!(same(lead, uts, ns), "{ns} unchanged");
            }
        }
        None => eprintln!("skipped the UTS child: no CAP_SYS_ADMIN here"),
    }
}

#[test]
fn the_share_pane_lists_the_vm_and_files_sharing_children_and_the_card_explains() {
    // No privilege needed: the workload and its children are our own processes.
    let w = workload(&["--name", "sharer", "--sleep", "1", "--share-demo"]);
    let vm = w
        .children
        .iter()
        .find(|c| c.1 == "vm-child")
        .expect("vm child")
        .0;
    let files = w
        .children
        .iter()
        .find(|c| c.1 == "files-child")
        .expect("files child")
        .0;
    let sleeper = w.tid("sleep-0").expect("sleep-0");
    let mut pty = Pty::spawn(
        threadtop(),
        &["--delay", "0.3", "--filter", &sleeper.to_string()],
        &[],
        120,
        50,
    )
    .expect("start threadtop");
    pty.wait_for_text("sleep-0", WAIT).expect("listed");
    // Rows: the process, then the matched thread. Select the thread; open both panes.
    pty.send_key("Home");
    pty.send_key("Down");
    pty.send(b"se");
    // Both threads in one row ("2 threads"): waited for with the rest, as a frame can be
    // read half drawn.
    pty.wait_for("cross-process sharing listed", WAIT, |s| {
        s.contains(&format!("vm-child ({vm}): VM"))
            && s.contains(&format!("files-child ({files}): FILES"))
            && s.contains("2 threads")
    })
    .expect("share pane");
    // The live explain card of a thread waiting on a condition variable.
    let ids = format!("gettid() returns {sleeper}, getpid() returns {}", w.pid);
    pty.wait_for_all(
        &[
            "Blocked in futex",
            &ids,
            "Shares with its main thread: VM, FILES, FS, SIGHAND",
        ],
        WAIT,
    )
    .expect("explain card names the futex wait");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn an_unprivileged_user_sees_unknown_with_the_reason_not_a_wrong_answer() {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !rustix::process::geteuid().is_root() || !setpriv.exists() {
        eprintln!("skipped: needs root (to drop to nobody) and /usr/bin/setpriv");
        return;
    }
    let w = workload(&["--name", "rootshare", "--sleep", "1"]);
    let bin = threadtop().to_string_lossy().into_owned();
    let drop = [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        bin.as_str(),
    ];
    let v = json(setpriv, &drop, &[w.pid]);
    let lead = task(&v, "rootshare");
    for r in KCMP {
        assert!(lead["shares"][r].is_null(), "{r} must be unknown: {lead}");
        assert_eq!(lead["shares_unknown"][r], "denied", "{lead}");
    }
    // And the pane says so in one line.
    let pid = w.pid.to_string();
    let args = [&drop[..], &["--delay", "0.3", "--filter", pid.as_str()]].concat();
    let mut pty = Pty::spawn(setpriv, &args, &[], 120, 40).expect("start threadtop as nobody");
    pty.wait_for_text("rootshare", WAIT).expect("listed");
    pty.send_key("Home");
    pty.send(b"s");
    let screen = pty
        .wait_for_text("? = unknown: not permitted", WAIT)
        .expect("reason shown");
    // The claim would be in the same pane, drawn with the reason: absent now is absent.
    assert!(
        !screen.contains("share everything"),
        "no claim of sharing: {screen}"
    );
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}
