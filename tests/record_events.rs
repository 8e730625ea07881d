//! Recordings carry the scheduling events' figures (format 3); format 1 and 2 files still
//! replay, with no event figures ("not collected").

mod support;

use std::path::Path;

use serde_json::Value;
use support::{command, workload};
use threadtop::collect::events::Events;
use threadtop::record::Recording;

/// Written by the format-2 threadtop (cgroups, no events): `record -p` of a small workload.
const V2: &str = "tests/fixture/recording-v2.ttr";
const V1: &str = "tests/fixture/recording-v1.ttr";

#[test]
fn format_1_and_2_recordings_replay_without_event_figures() {
    for (file, format) in [(V1, 1), (V2, 2)] {
        let rec = Recording::open(Path::new(file)).expect("opens");
        assert_eq!(rec.format, format, "{file}");
        let mut prev = None;
        for i in 0..rec.ticks.len() {
            let snap = rec
                .decode(i, prev.as_ref().map(|s| (i - 1, s)))
                .expect("decodes");
            assert!(snap.task_count() > 0);
            assert_eq!(snap.events, Events::NotCollected);
            prev = Some(snap);
        }
        let v = support::replay_json(Path::new(file), "0.5s");
        assert_eq!(v["events"], Value::Null, "{file}");
        assert_eq!(v["events_unavailable"], "not collected", "{file}");
        let tasks = v["tasks"].as_array().expect("tasks");
        assert!(!tasks.is_empty());
        for t in tasks {
            assert!(t["latency_us"].is_null() && t["woken_by"].is_null(), "{t}");
        }
    }
    // Format 2 kept its cgroups.
    let v = support::replay_json(Path::new(V2), "0.5s");
    assert!(v["cgroups_unknown"].is_null(), "{}", v["cgroups_unknown"]);
}

#[test]
fn a_recording_with_events_replays_their_figures() {
    let w = workload(&["--ping-pong"]);
    let (ping, pong) = (w.tid("ping").expect("ping"), w.tid("pong").expect("pong"));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ev.ttr");
    let out = command()
        .arg("record")
        .arg(&file)
        .args([
            "-p",
            &w.pid.to_string(),
            "--delay",
            "0.3",
            "--duration",
            "2s",
        ])
        .output()
        .expect("record");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = Recording::open(&file).expect("opens");
    assert_eq!(rec.format, 3);
    let first = rec.decode(0, None).expect("first tick");
    if let Some(why) = first.events.unavailable() {
        // Recorded as it was: the reason replays too.
        assert!(matches!(first.events, Events::Unavailable(_)), "{why}");
        let v = support::replay_json(&file, "0s");
        assert_eq!(v["events_unavailable"], why);
        eprintln!("events figures: skipped: scheduling events cannot load here: {why}");
        return;
    }
    // Some tick after the first shows each of the pair woken by the other (a tick on a
    // loaded machine may have had no wakeup).
    let mut prev = Some(first);
    let mut found = None;
    for i in 1..rec.ticks.len() {
        let snap = rec
            .decode(i, prev.as_ref().map(|s| (i - 1, s)))
            .expect("decodes");
        let tick = snap.events.tick().expect("bpf on every tick");
        let waker = |tid: u32| {
            tick.tasks
                .iter()
                .find(|(k, _)| k.tid == tid)
                .and_then(|(_, e)| e.woken_by.as_ref().map(|w| w.tid))
        };
        // Only the recorded process's tasks are kept.
        assert!(
            tick.tasks.keys().all(|k| w.tids().contains(&k.tid)),
            "{:?}",
            tick.tasks.keys().collect::<Vec<_>>()
        );
        if waker(ping) == Some(pong) && waker(pong) == Some(ping) {
            found = Some(i);
        }
        prev = Some(snap);
    }
    let i = found.expect("a tick with ping and pong waking each other");
    // Within a millisecond after the tick, far from the next (0.3 s on).
    let ms = (rec.offset_secs(i) * 1000.0).ceil() as u64;
    let at = format!("{}.{:03}s", ms / 1000, ms % 1000);
    let v = support::replay_json(&file, &at);
    assert_eq!(v["events"], "bpf", "{v}");
    let task = |tid: u32| {
        v["tasks"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["tid"] == tid))
            .cloned()
            .unwrap_or_else(|| panic!("task {tid}: {v}"))
    };
    assert_eq!(task(ping)["woken_by"]["tid"], pong, "{}", task(ping));
    assert_eq!(task(pong)["woken_by"]["name"], "ping", "{}", task(pong));
    assert!(task(ping)["latency_us"]["count"].as_u64() > Some(0));
    assert!(task(ping)["cpu_time_ms"].is_object());
}
