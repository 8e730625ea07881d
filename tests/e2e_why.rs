//! "Why is it slow" end to end through `--json`: workloads made for it (a pool contending on
//! one mutex, a pool blocked reading pipes, a pool sleeping in a loop, three busy threads
//! pinned to one CPU), with the scheduling events on and off, and as `nobody` (no ptrace
//! access to root's tasks: the exact parts stay, the rest is unknown, said so).

mod support;

use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::workload;

/// The tests measure scheduling: one at a time, so they do not load each other's CPUs.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(90);

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "threadtop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// One `--json` run over a second for `pid`; `None` when `--events on` cannot load here
/// (the reason printed).
fn snapshot(pid: u32, events: &str) -> Option<Value> {
    let out = support::command()
        .args([
            "--json",
            "--delay",
            "1",
            "--events",
            events,
            "-p",
            &pid.to_string(),
        ])
        .output()
        .expect("run --json");
    if events == "on" && !out.status.success() {
        eprintln!(
            "events on: skipped: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(json(&out))
}

/// Runs `--json` until `ready` holds (a loaded machine may starve the workload for a
/// while), then returns that run; `None` when the events cannot load.
fn poll(pid: u32, events: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Option<Value> {
    let start = Instant::now();
    loop {
        let v = snapshot(pid, events)?;
        if ready(&v) {
            return Some(v);
        }
        assert!(
            start.elapsed() < WAIT,
            "never saw {what} (events {events}): {v:#}"
        );
    }
}

fn task(v: &Value, tid: u32) -> &Value {
    v["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["tid"] == tid))
        .unwrap_or_else(|| panic!("task {tid} missing: {v}"))
}

fn pool<'a>(v: &'a Value, pid: u32, label: &str) -> Option<&'a Value> {
    v["pools"]
        .as_array()?
        .iter()
        .find(|p| p["tgid"] == pid && p["label"] == label)
}

fn share(b: &Value, k: &str) -> f64 {
    b[k].as_f64().unwrap_or(f64::NAN)
}

/// Every breakdown in the output sums to 100 %.
fn assert_sums(v: &Value) {
    let all = v["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(v["pools"].as_array().into_iter().flatten())
        .chain(v["processes"].as_array().into_iter().flatten());
    for x in all {
        let b = &x["breakdown"];
        if b.is_null() {
            continue;
        }
        let sum: f64 = [
            "running", "runnable", "lock", "io", "fd_wait", "sleep", "stopped", "other",
        ]
        .iter()
        .map(|k| share(b, k))
        .sum();
        assert!((sum - 100.0).abs() < 0.5, "sums to {sum}: {x}");
        // Part of the wait for a CPU where the cgroup facts say; null where unknown.
        if !b["throttled"].is_null() {
            let t = share(b, "throttled");
            assert!(
                (0.0..=share(b, "runnable") + 0.01).contains(&t),
                "throttled {t} is part of runnable: {b}"
            );
        }
    }
}

fn mutex_pool(events: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload(&["--lock-pool", "6"]);
    let tids: Vec<u32> = (0..6)
        .map(|k| w.tid(format!("lock-{k}")).expect("lock-K"))
        .collect();
    // Most of the pool's off-CPU time is the lock, and at least four of the six are seen
    // waiting on one futex.
    let Some(v) = poll(w.pid, events, "the lock pool mostly in lock", |v| {
        let Some(p) = pool(v, w.pid, "lock-#") else {
            return false;
        };
        let b = &p["breakdown"];
        let off = 100.0 - share(b, "running") - share(b, "runnable");
        let grouped = v["processes"][0]["locks"][0]["waiters"]
            .as_array()
            .is_some_and(|ws| ws.iter().filter(|t| tids.iter().any(|x| *t == *x)).count() >= 4);
        off > 10.0 && share(b, "lock") > off / 2.0 && grouped
    }) else {
        return;
    };
    assert_sums(&v);
    let p = pool(&v, w.pid, "lock-#").expect("pool");
    assert_eq!(p["tids"].as_array().map(Vec::len), Some(6), "{p}");
    let lock = &v["processes"][0]["locks"][0];
    let futex = lock["futex"].as_str().expect("futex");
    assert!(futex.starts_with("0x"), "{lock}");
    // The waiters' own `waiting_on` names the same futex.
    for t in lock["waiters"].as_array().expect("waiters") {
        let t = task(&v, t.as_u64().expect("tid") as u32);
        assert_eq!(t["waiting_on"]["kind"], "futex", "{t}");
        assert_eq!(t["waiting_on"]["detail"], format!("futex {futex}"), "{t}");
        // Off and on a CPU all the time: the events see it (when on) from their start.
        let source = if events == "on" { "events" } else { "sampled" };
        assert_eq!(t["breakdown_source"], source, "{t}");
    }
    let verdict = p["verdict"].as_str().expect("verdict");
    assert!(
        verdict.starts_with("lock convoy:") || verdict.starts_with("CPU-starved"),
        "{verdict}"
    );
}

#[test]
fn a_mutex_pool_waits_mostly_on_one_lock_events_off() {
    mutex_pool("off");
}

#[test]
fn a_mutex_pool_waits_mostly_on_one_lock_events_on() {
    mutex_pool("on");
}

fn pipe_pool(events: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload(&["--pipe-pool", "3", "--thread-name", "\x1b[31mpipe-9"]);
    let tids: Vec<u32> = (0..3)
        .map(|k| w.tid(format!("pipe-{k}")).expect("pipe-K"))
        .collect();
    let Some(v) = poll(w.pid, events, "the pipe pool in fd_wait on pipes", |v| {
        tids.iter().all(|&t| {
            let t = task(v, t);
            share(&t["breakdown"], "fd_wait") >= 90.0
                && t["waiting_on"]["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("pipe:["))
        })
    }) else {
        return;
    };
    assert_sums(&v);
    for &t in &tids {
        let t = task(&v, t);
        assert_eq!(t["waiting_on"]["kind"], "fd", "{t}");
        assert_eq!(t["verdict"], "idle: blocked reading a pipe", "{t}");
    }
    let p = pool(&v, w.pid, "pipe-#").expect("pipe pool");
    assert_eq!(p["verdict"], "idle: blocked reading a pipe", "{p}");
    // The hostile name is escaped wherever it shows.
    let text = v.to_string();
    assert!(!text.contains('\u{1b}'), "a raw escape in the output");
}

#[test]
fn a_pool_reading_pipes_waits_on_fds_named_as_pipes_events_off() {
    pipe_pool("off");
}

#[test]
fn a_pool_reading_pipes_waits_on_fds_named_as_pipes_events_on() {
    pipe_pool("on");
}

fn nap_pool(events: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload(&["--nap-pool", "3"]);
    let tids: Vec<u32> = (0..3)
        .map(|k| w.tid(format!("nap-{k}")).expect("nap-K"))
        .collect();
    let Some(v) = poll(w.pid, events, "the nap pool sleeping", |v| {
        tids.iter().all(|&t| {
            let b = &task(v, t)["breakdown"];
            share(b, "sleep") >= 50.0
        })
    }) else {
        return;
    };
    assert_sums(&v);
    for &t in &tids {
        let t = task(&v, t);
        assert_eq!(t["waiting_on"]["kind"], "sleep", "{t}");
        assert_eq!(
            t["waiting_on"]["detail"], "sleeping 100 ms at a time",
            "{t}"
        );
        assert!(
            t["verdict"]
                .as_str()
                .is_some_and(|s| s.starts_with("sleeping")),
            "{t}"
        );
    }
    let p = pool(&v, w.pid, "nap-#").expect("nap pool");
    assert!(share(&p["breakdown"], "sleep") >= 50.0, "{p}");
}

#[test]
fn a_pool_sleeping_in_a_loop_sleeps_events_off() {
    nap_pool("off");
}

#[test]
fn a_pool_sleeping_in_a_loop_sleeps_events_on() {
    nap_pool("on");
}

fn pinned(events: &str) {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n < 2 {
        eprintln!("pinned: skipped: needs two CPUs, this has {n}");
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload(&["--busy-on", "1", "--busy-on", "1", "--busy-on", "1"]);
    let tids: Vec<u32> = (0..3)
        .map(|k| w.tid(format!("pin1-{k}")).expect("pin1-K"))
        .collect();
    // Three threads on one CPU: each runs about a third and waits for it two thirds (more
    // when something else also runs there).
    let Some(v) = poll(w.pid, events, "the pinned threads starved", |v| {
        tids.iter().all(|&t| {
            let t = task(v, t);
            share(&t["breakdown"], "runnable") >= 45.0
                && t["verdict"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("CPU-starved"))
        })
    }) else {
        return;
    };
    assert_sums(&v);
    for &t in &tids {
        let t = task(&v, t);
        let verdict = t["verdict"].as_str().unwrap_or_default();
        assert!(verdict.contains("share CPU 1"), "{verdict}");
        // Running and runnable are the exact schedstat figures, scaled down together only
        // when they add up past 100 (schedstat adds a wait when the wait ends, so a wait
        // begun in the interval before can land in this one).
        let wait = t["wait_percent"].as_f64().unwrap_or(f64::NAN);
        let cpu = t["cpu_percent"].as_f64().unwrap_or(f64::NAN);
        let exact = if cpu + wait > 100.0 {
            wait * 100.0 / (cpu + wait)
        } else {
            wait
        };
        let shown = share(&t["breakdown"], "runnable");
        assert!((shown - exact).abs() <= 0.01, "{shown} vs {exact}: {t}");
    }
    let p = pool(&v, w.pid, "pin1-#").expect("pinned pool");
    assert!(
        p["verdict"]
            .as_str()
            .is_some_and(|s| s.starts_with("CPU-starved")),
        "{p}"
    );
}

#[test]
fn three_busy_threads_on_one_cpu_are_cpu_starved_events_off() {
    pinned("off");
}

#[test]
fn three_busy_threads_on_one_cpu_are_cpu_starved_events_on() {
    pinned("on");
}

#[test]
fn without_ptrace_access_the_wait_is_unknown_and_the_exact_parts_stay() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload(&["--pipe-pool", "2"]);
    let tid = w.tid("pipe-0").expect("pipe-0");
    let pid = w.pid.to_string();
    let Some(out) = support::as_nobody("as nobody", &["--json", "--delay", "1", "-p", &pid]) else {
        return;
    };
    let v = json(&out);
    assert_sums(&v);
    let t = task(&v, tid);
    assert_eq!(t["breakdown_source"], "sampled", "{t}");
    assert!(share(&t["breakdown"], "running").is_finite(), "{t}");
    assert!(share(&t["breakdown"], "runnable").is_finite(), "{t}");
    let detail = t["waiting_on"]["detail"].as_str().expect("waiting_on");
    assert!(detail.starts_with("unknown (needs ptrace access)"), "{t}");
    let verdict = t["verdict"].as_str().expect("verdict");
    assert!(verdict.contains("needs ptrace access"), "{verdict}");
}
