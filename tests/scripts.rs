//! threadtop in scripts: `--json --count` streams NDJSON, `--batch` prints a table per
//! tick, both following `-p`, `-f` and `--sort`; `record` refuses the flags it would
//! ignore; counts read "1 process", "1 tick"; `-s` lists its keys.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use support::{command, workload};
use threadtop::model::SortKey;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = command().args(args).output().expect("run threadtop");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_count_streams_one_object_per_line_for_the_chosen_process() {
    let w = workload(&["--name", "tt-ndjson", "--sleep", "3"]);
    let pid = w.pid.to_string();
    let (code, out, err) = run(&["--json", "--count", "3", "-d", "0.1", "-p", &pid]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
        let tasks = v["tasks"].as_array().expect("tasks");
        assert_eq!(tasks.len(), w.threads.len(), "{l}");
        assert!(tasks.iter().all(|t| t["tgid"] == w.pid), "{l}");
        assert_eq!(
            v["system"]["processes"], 1,
            "only the chosen process is read"
        );
    }
    // Without --count: one pretty-printed snapshot, as before.
    let (code, out, _) = run(&["--json", "-d", "0.1", "-p", &pid]);
    assert_eq!(code, 0);
    assert!(out.lines().count() > 3);
    serde_json::from_str::<serde_json::Value>(&out).expect("one JSON document");
}

#[test]
fn json_count_zero_streams_until_the_reader_stops() {
    let w = workload(&["--name", "tt-stream", "--sleep", "1"]);
    let pid = w.pid.to_string();
    let mut child = command()
        .args(["--json", "--count", "0", "-d", "0.05", "-p", &pid])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    for _ in 0..4 {
        let l = lines.next().expect("a line").expect("read");
        serde_json::from_str::<serde_json::Value>(&l).expect("JSON");
    }
    // The reader goes away: the next write ends threadtop as SIGPIPE would, quietly.
    drop(lines);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(141));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn batch_prints_a_table_per_tick_with_the_screen_columns() {
    let w = workload(&["--name", "tt-batch", "--sleep", "2"]);
    let pid = w.pid.to_string();
    let (code, out, err) = run(&[
        "--batch", "-n", "2", "-d", "0.1", "-p", &pid, "--sort", "tid", "--flat",
    ]);
    assert_eq!(code, 0, "{err}");
    let ticks: Vec<&str> = out.split("\n\n").filter(|t| !t.trim().is_empty()).collect();
    assert_eq!(ticks.len(), 2, "{out}");
    let tids = w.tids();
    for t in ticks {
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("threadtop - up "), "{t}");
        assert!(
            lines[0].contains("1 process:"),
            "one process, singular: {t}"
        );
        let head: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            head,
            [
                "TID▲", "TGID", "USER", "S", "CPU%", "CPU", "NI", "PRI", "SW/s", "THR", "NAME"
            ],
            "{t}"
        );
        // Every task, in TID order (the process row first).
        let shown: Vec<u32> = lines[2..]
            .iter()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        assert_eq!(shown[0], w.pid, "{t}");
        let mut threads = shown[1..].to_vec();
        threads.sort_unstable();
        assert_eq!(shown[1..], threads[..], "sorted by TID: {t}");
        assert_eq!(threads, tids, "{t}");
        assert!(t.contains("sleep-1"), "{t}");
    }
    // -f keeps what matches.
    let (code, out, _) = run(&[
        "--batch", "-n", "1", "-d", "0.1", "-p", &pid, "-f", "sleep-1",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("sleep-1") && !out.contains("sleep-0"), "{out}");
}

#[test]
fn count_without_json_or_batch_is_an_error() {
    let (code, _, err) = run(&["--count", "3"]);
    assert_eq!(code, 2);
    assert!(err.contains("--count goes with --json or --batch"), "{err}");
}

#[test]
fn record_rejects_the_flags_it_would_ignore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("r.tt");
    let file = file.to_string_lossy();
    for flags in [
        &["--json"][..],
        &["--theme", "light"],
        &["--no-mouse"],
        &["--columns", "tid,cpu"],
        &["--sort", "tid"],
    ] {
        let mut args = vec!["record", &file, "--duration", "0s"];
        args.extend_from_slice(flags);
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{flags:?}: {err}");
        assert!(
            err.contains(flags[0]) && err.contains("ignored"),
            "{flags:?}: {err}"
        );
        assert!(
            !dir.path().join("r.tt").exists(),
            "{flags:?}: nothing recorded"
        );
    }
    // Before the subcommand too.
    let (code, _, err) = run(&["--json", "record", &file, "--duration", "0s"]);
    assert_eq!(code, 2, "{err}");
    // A one-tick recording says "1 tick".
    let (code, _, err) = run(&["record", &file, "--duration", "0s"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("recorded 1 tick to"), "{err}");
}

#[test]
fn the_sort_keys_are_listed_in_help_and_errors() {
    let (_, help, _) = run(&["--help"]);
    let (code, _, missing) = run(&["-s", "--help"]);
    assert_eq!(code, 2);
    let (_, _, wrong) = run(&["-s", "cpux"]);
    for k in SortKey::SORTABLE {
        for (what, text) in [
            ("--help", &help),
            ("-s --help", &missing),
            ("-s cpux", &wrong),
        ] {
            assert!(text.contains(k.name()), "{what} lacks {}: {text}", k.name());
        }
    }
}
