//! Scheduling events (`--events`, BPF) end to end, through `--json`: exact run-queue waits,
//! migrations and wakers of workloads made for it, the fallback as an unprivileged user,
//! and the limits (SIGKILL leaves nothing attached, two instances at once, a full map).
//!
//! Tests that need the events print why and return where they cannot load (not root, no
//! BTF, an old kernel): the fallback tests cover that case.

mod support;

use std::process::{Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::workload;

/// The event tests measure scheduling: one at a time, so they do not load each other's CPUs.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(60);

/// Why `--events on` cannot run here (`None`: it can), asked once.
fn events_unavailable() -> Option<String> {
    static WHY: OnceLock<Option<String>> = OnceLock::new();
    WHY.get_or_init(|| {
        let out = support::command()
            .args(["--json", "--events", "on", "--delay", "0.05", "-p", "1"])
            .output()
            .expect("run threadtop");
        (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
    })
    .clone()
}

/// Prints why and returns false when the events cannot be loaded here.
fn events_here(test: &str) -> bool {
    match events_unavailable() {
        None => true,
        Some(why) => {
            eprintln!("{test}: skipped: scheduling events cannot load here: {why}");
            false
        }
    }
}

fn two_cpus(test: &str) -> bool {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n < 2 {
        eprintln!("{test}: skipped: needs two CPUs, this has {n}");
    }
    n >= 2
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "threadtop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// One `--json` run over a second, for the workload `pid`.
fn snapshot(pid: u32, events: &str) -> Value {
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
    json(&out)
}

fn task(v: &Value, tid: u32) -> &Value {
    v["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["tid"] == tid))
        .unwrap_or_else(|| panic!("task {tid} missing: {v}"))
}

/// Runs `--json` until `ready` holds for it (the machine may be too busy for the
/// workload to do anything in one second), then returns that run.
fn poll(pid: u32, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let v = snapshot(pid, "on");
        if ready(&v) {
            return v;
        }
        assert!(start.elapsed() < WAIT, "never saw {what}: {v}");
    }
}

#[test]
fn a_thread_sharing_its_cpu_with_busy_threads_waits_long_and_its_max_is_at_least_its_p99() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !events_here("waits") {
        return;
    }
    let w = workload(&["--busy-on", "0", "--busy-on", "0", "--ticker", "0"]);
    let ticker = w.tid("ticker").expect("ticker");
    let v = poll(w.pid, "the ticker waiting", |v| {
        task(v, ticker)["latency_us"]["count"].as_u64() >= Some(20)
    });
    assert_eq!(v["events"], "bpf");
    assert_eq!(v["events_unavailable"], Value::Null);
    let lat = &task(&v, ticker)["latency_us"];
    let p50 = lat["p50"].as_f64().expect("p50");
    let p99 = lat["p99"].as_f64().expect("p99");
    let max = lat["max"].as_f64().expect("max");
    assert!(p50 <= p99 && p99 <= max, "{lat}");
    // Nice 19 against two busy threads at nice 0 on its CPU: waits of ms, not µs.
    assert!(max >= 1000.0, "the longest wait was only {max} µs: {lat}");
    assert!(lat["max_at"].as_u64().is_some_and(|t| t > 0), "{lat}");
    // A timer wakes it, in interrupt context: not the busy thread the interrupt stopped.
    let t = task(&v, ticker);
    assert_eq!(t["woken_by"], Value::Null, "{t}");
    assert!(t["interval_interrupt_wakeups"].as_u64() > Some(0), "{t}");
    // It ran on CPU 0 only, and the busy threads took most of it.
    let cpu = task(&v, ticker)["cpu_time_ms"]
        .as_object()
        .expect("cpu_time_ms");
    assert!(cpu.keys().all(|c| c == "0"), "{cpu:?}");
    let busy = task(&v, w.tid("pin0-0").expect("pin0-0"));
    let busy_ms = busy["cpu_time_ms"]["0"]
        .as_f64()
        .expect("busy thread's CPU 0 time");
    let interval_ms = v["interval_secs"].as_f64().expect("interval") * 1000.0;
    assert!(
        busy_ms > 0.0 && busy_ms <= interval_ms * 1.05,
        "{busy_ms} ms of CPU 0 in {interval_ms} ms"
    );
}

#[test]
fn a_thread_moving_between_two_cpus_every_10_ms_shows_each_migration() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !events_here("migrations") || !two_cpus("migrations") {
        return;
    }
    let w = workload(&["--mover", "0,1"]);
    let mover = w.tid("mover").expect("mover");
    let v = poll(w.pid, "the mover migrating", |v| {
        task(v, mover)["interval_migrations"].as_u64() >= Some(20)
    });
    let t = task(&v, mover);
    let n = t["interval_migrations"].as_u64().unwrap_or(0);
    let secs = v["interval_secs"].as_f64().expect("interval");
    // At most one move per 10 ms sleep; a sampled CPU shows at most one change per tick.
    assert!(
        (n as f64) <= secs * 100.0 + 2.0,
        "{n} migrations in {secs} s"
    );
    let cpu = t["cpu_time_ms"].as_object().expect("cpu_time_ms");
    assert!(
        cpu.contains_key("0") && cpu.contains_key("1"),
        "ran on both CPUs within the tick: {cpu:?}"
    );
    // The kernel's own total agrees that it moved at least as often.
    assert!(t["migrations"].as_u64() >= Some(n), "{t}");
}

#[test]
fn each_thread_of_a_ping_pong_pair_is_woken_by_the_other() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !events_here("ping-pong") {
        return;
    }
    let w = workload(&["--ping-pong"]);
    let ping = w.tid("ping").expect("ping");
    let pong = w.tid("pong").expect("pong");
    let v = poll(w.pid, "both wakers", |v| {
        !task(v, ping)["woken_by"].is_null() && !task(v, pong)["woken_by"].is_null()
    });
    assert_eq!(task(&v, ping)["woken_by"]["tid"], pong, "{v}");
    assert_eq!(task(&v, ping)["woken_by"]["name"], "pong");
    assert_eq!(task(&v, pong)["woken_by"]["tid"], ping, "{v}");
    assert_eq!(task(&v, pong)["woken_by"]["name"], "ping");
    let t = task(&v, ping);
    let switches = t["interval_voluntary_switches"].as_u64().unwrap_or(0)
        + t["interval_involuntary_switches"].as_u64().unwrap_or(0);
    assert!(switches > 0, "{t}");
    // A thread that only sleeps had no events: zeros and no CPU, not nulls.
    let main = task(&v, w.pid);
    assert_eq!(main["latency_us"]["count"], 0, "{main}");
    assert_eq!(main["woken_by"], Value::Null);
}

#[test]
fn as_an_unprivileged_user_events_are_null_with_the_reason_and_the_rest_unchanged() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let w = workload(&["--busy-on", "0", "--ticker", "0", "--ping-pong"]);
    let pid = w.pid.to_string();
    let Some(out) = support::as_nobody(
        "unprivileged",
        &["--json", "--delay", "1", "--events", "auto", "-p", &pid],
    ) else {
        return;
    };
    let v = json(&out);
    assert_eq!(v["events"], Value::Null, "{v}");
    let why = v["events_unavailable"].as_str().expect("a reason");
    assert!(why.contains("CAP_BPF"), "{why}");
    for name in ["ticker", "ping", "pong", "pin0-0"] {
        let t = task(&v, w.tid(name).expect(name));
        for field in [
            "latency_us",
            "cpu_time_ms",
            "woken_by",
            "interval_migrations",
        ] {
            assert_eq!(t[field], Value::Null, "{name}.{field}: {t}");
        }
        // What /proc gives is still there.
        assert!(t["cpu_percent"].is_f64(), "{name}: {t}");
        assert!(t["switches_per_sec"].is_f64(), "{name}: {t}");
    }
    // `on` refuses to start, naming what is missing.
    let Some(on) = support::as_nobody("unprivileged on", &["--json", "--events", "on", "-p", &pid])
    else {
        return;
    };
    assert!(!on.status.success());
    let err = String::from_utf8_lossy(&on.stderr);
    assert!(
        err.contains("--events on") && err.contains("CAP_BPF"),
        "{err}"
    );
    assert!(on.stdout.is_empty());
}

#[test]
fn events_off_keeps_proc_only_and_says_so() {
    let w = workload(&["--sleep", "1"]);
    let v = snapshot(w.pid, "off");
    assert_eq!(v["events"], Value::Null);
    assert_eq!(v["events_unavailable"], "off (--events off)");
    assert_eq!(task(&v, w.pid)["latency_us"], Value::Null);
}

/// The programs `pid` holds attached: the `prog_id` of each of its BPF link descriptors.
fn attached_programs(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|info| info.contains("link_type:"))
        .filter_map(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("prog_id:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .collect()
}

/// Whether the kernel still has program `id` (BPF_PROG_GET_FD_BY_ID).
fn program_exists(id: u32) -> bool {
    const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
    // union bpf_attr for this command: prog_id, next_id, open_flags (the rest zero).
    let attr: [u32; 4] = [id, 0, 0, 0];
    // SAFETY: bpf(2) reads `attr` (16 bytes, which we pass as its size) and returns a
    // descriptor we close, or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_GET_FD_BY_ID,
            attr.as_ptr(),
            std::mem::size_of_val(&attr),
        )
    };
    if fd >= 0 {
        // SAFETY: a descriptor the call above just gave us.
        unsafe { libc::close(fd as libc::c_int) };
    }
    fd >= 0
}

/// A child killed (SIGKILL) when dropped, so a failing test leaks no process.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_leaves_no_program_attached_and_two_instances_both_work() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !events_here("sigkill") {
        return;
    }
    // Two at once: a long one (killed below) and a short one that must still work.
    let mut long = Killed(
        support::command()
            .args(["--json", "--events", "on", "--delay", "600", "-p", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start threadtop"),
    );
    let pid = long.0.id();
    wait_until("the first instance's twelve programs attached", || {
        attached_programs(pid).len() >= 12
    });
    let ids = attached_programs(pid);
    assert!(ids.iter().all(|&id| program_exists(id)), "{ids:?}");
    let w = workload(&["--sleep", "1"]);
    let second = snapshot(w.pid, "on");
    assert_eq!(second["events"], "bpf", "{second}");
    long.0.kill().expect("SIGKILL");
    let _ = long.0.wait();
    // The kernel frees the programs with the last descriptor: nothing is pinned.
    wait_until("the killed instance's programs to go", || {
        !ids.iter().any(|&id| program_exists(id))
    });
}

#[test]
fn a_full_task_map_is_counted_and_its_tasks_get_null_not_zero() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !events_here("maps full") {
        return;
    }
    // Tasks exiting mid-tick as well: short-lived threads, 200 a second.
    let w = workload(&["--churn", "200", "--ping-pong"]);
    let out = support::command()
        .args([
            "--json",
            "--delay",
            "1",
            "--events",
            "on",
            "-p",
            &w.pid.to_string(),
        ])
        .env("THREADTOP_TEST_EVENT_TASKS", "4")
        .output()
        .expect("run --json");
    let v = json(&out);
    assert_eq!(v["events"], "bpf");
    assert!(v["events_maps_full"].as_u64() > Some(0), "{v}");
    let tasks = v["tasks"].as_array().expect("tasks");
    assert!(
        tasks.iter().any(|t| t["latency_us"].is_null()),
        "a task the map had no room for has unknown figures: {v}"
    );
}
