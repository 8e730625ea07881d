//! The recording format: exact round trips of real scans, and a reader that never panics
//! on truncated, corrupted or foreign files.

mod support;

use std::path::Path;

use proptest::prelude::*;
use threadtop::collect::{DetailPlan, Snapshot};
use threadtop::record::file::KEYFRAME_EVERY;
use threadtop::record::{Header, Recorder, Recording};

fn header() -> Header {
    Header {
        start_unix_ns: 1_700_000_000_000_000_000,
        start_boot_ns: 5_000_000_000,
        interval_ns: 1_000_000_000,
        hostname: "test-host".into(),
    }
}

/// A real scan cut down to this test process and PID 1: real data, but a size that does
/// not depend on how busy the machine is (the every-byte tests are quadratic in it).
fn small(mut s: Snapshot) -> Snapshot {
    let me = std::process::id();
    s.processes.retain(|p| p.tgid == me || p.tgid == 1);
    s
}

/// Records `n` real scans into a temp file; returns the file and the scans.
fn record(n: usize, plan: &DetailPlan) -> (tempfile::TempDir, std::path::PathBuf, Vec<Snapshot>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rec.tt");
    let mut rec = Recorder::create(&path, &header()).expect("create");
    let mut scanner = support::proc_scanner();
    let mut snaps = Vec::new();
    for _ in 0..n {
        let s = small(scanner.scan(plan));
        rec.write(s.clone()).expect("write");
        snaps.push(s);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (dir, path, snaps)
}

#[test]
fn real_scans_round_trip_exactly() {
    let (_d, path, snaps) = record(6, &DetailPlan::all());
    let rec = Recording::open(&path).expect("open");
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert_eq!(rec.ticks.len(), snaps.len());
    assert_eq!(rec.header, header());
    let mut prev: Option<Snapshot> = None;
    for (i, want) in snaps.iter().enumerate() {
        let got = rec
            .decode(i, prev.as_ref().map(|p| (i - 1, p)))
            .expect("decode");
        assert_eq!(&got, want, "tick {i}");
        // Random access (from the keyframe) gives the same.
        assert_eq!(
            &rec.decode(i, None).expect("decode"),
            want,
            "tick {i} from keyframe"
        );
        prev = Some(got);
    }
    assert!(rec.ticks[0].keyframe && !rec.ticks[1].keyframe);
    const { assert!(KEYFRAME_EVERY > 1) };
}

#[test]
fn a_cut_anywhere_loses_at_most_the_last_tick_and_never_panics() {
    let (_d, path, snaps) = record(3, &DetailPlan::default());
    let full = std::fs::read(&path).expect("read");
    // Where whole records end: a cut there is a clean stop, anywhere else a torn record.
    let mut boundaries = vec![12usize];
    let mut pos = 12;
    while pos + 8 <= full.len() {
        let len =
            u32::from_le_bytes([full[pos], full[pos + 1], full[pos + 2], full[pos + 3]]) as usize;
        pos += 8 + len;
        boundaries.push(pos);
    }
    for cut in 0..full.len() {
        match Recording::parse(full[..cut].to_vec()) {
            Ok(rec) => {
                assert!(rec.ticks.len() <= snaps.len());
                for (i, want) in snaps.iter().enumerate().take(rec.ticks.len()) {
                    assert_eq!(rec.decode(i, None).as_ref(), Ok(want), "cut {cut} tick {i}");
                }
                assert_eq!(
                    rec.warnings.is_empty(),
                    boundaries.contains(&cut),
                    "cut {cut}: a torn tail is reported, a clean one is not: {:?}",
                    rec.warnings
                );
            }
            Err(e) => assert!(!e.is_empty()),
        }
    }
}

#[test]
fn corrupted_foreign_and_newer_files_give_clear_errors() {
    let (_d, path, _) = record(3, &DetailPlan::default());
    let mut data = std::fs::read(&path).expect("read");
    assert_eq!(
        Recording::parse(b"#!/bin/sh\necho hi\n".to_vec())
            .err()
            .as_deref(),
        Some("not a threadtop recording")
    );
    let mut newer = data.clone();
    newer[8] = 99;
    let e = Recording::parse(newer).err().expect("refused");
    assert!(
        e.contains("newer threadtop") && e.contains("format 99"),
        "{e}"
    );
    // Flip a byte in the middle of the file: a corrupted record, not a silent wrong answer.
    let mid = data.len() / 2;
    data[mid] ^= 0xff;
    match Recording::parse(data) {
        Err(e) => assert!(e.contains("corrupted"), "{e}"),
        Ok(rec) => assert!(
            !rec.warnings.is_empty(),
            "a damaged last record must be reported"
        ),
    }
    assert!(Recording::open(Path::new("/nonexistent/rec.tt")).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut data = b"THRDTOP\x01\x01\x00\x00\x00".to_vec();
        data.extend_from_slice(&tail);
        if let Ok(rec) = Recording::parse(data) {
            for i in 0..rec.ticks.len() {
                let _ = rec.decode(i, None);
            }
        }
    }

    #[test]
    fn corrupted_tick_bodies_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        static SNAP: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        let snap = SNAP.get_or_init(|| small(support::proc_scanner().scan(&DetailPlan::default())));
        let body = threadtop::record::codec::encode(None, snap);
        let raw = miniz_oxide::inflate::decompress_to_vec(&body).expect("inflate");
        let mut bad = raw.clone();
        for (i, b) in flips {
            let at = i.index(bad.len());
            bad[at] ^= b | 1;
        }
        let again = miniz_oxide::deflate::compress_to_vec(&bad, 1);
        let _ = threadtop::record::codec::decode(None, 1, &again);
        let _ = threadtop::record::codec::decode(Some(snap), 1, &again);
    }
}

/// `n` ticks made from one real scan, each with its own time and CPU counters moved on,
/// so deltas carry something: (file bytes, the ticks, where each record starts).
fn synthetic(n: usize) -> (Vec<u8>, Vec<Snapshot>, Vec<usize>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rec.tt");
    let mut rec = Recorder::create(&path, &header()).expect("create");
    let base = small(support::proc_scanner().scan(&DetailPlan::default()));
    let mut snaps = Vec::new();
    for i in 0..n {
        let mut s = base.clone();
        s.boot_ns += i as u64 * 1_000_000_000;
        for p in &mut s.processes {
            for t in &mut p.tasks {
                t.utime_ticks += i as u64 * 3;
            }
        }
        rec.write(s.clone()).expect("write");
        snaps.push(s);
    }
    let data = std::fs::read(&path).expect("read");
    let mut starts = Vec::new();
    let mut pos = 12;
    while pos + 8 <= data.len() {
        starts.push(pos);
        let len = u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]);
        pos += 8 + len as usize;
    }
    (data, snaps, starts)
}

/// Every tick read back is the one recorded at its time.
fn ticks_match(rec: &Recording, snaps: &[Snapshot]) {
    let mut prev: Option<(usize, Snapshot)> = None;
    for i in 0..rec.ticks.len() {
        let got = rec
            .decode(i, prev.as_ref().map(|(j, s)| (*j, s)))
            .expect("decodes");
        let want = snaps
            .iter()
            .find(|s| s.boot_ns == rec.ticks[i].boot_ns)
            .expect("a recorded time");
        assert_eq!(&got, want, "tick {i}");
        prev = Some((i, got));
    }
}

#[test]
fn a_flipped_byte_costs_its_record_not_the_recording() {
    let n = KEYFRAME_EVERY as usize + 10;
    let (data, snaps, starts) = synthetic(n);
    // starts[0] is the header record; tick k is record k + 1.
    assert_eq!(starts.len(), n + 1);
    let delta = KEYFRAME_EVERY as usize - 5; // its deltas run to the keyframe at 300
    let at = starts[delta + 1];
    let len = starts[delta + 2] - at - 8;
    let parts = [
        ("length, low byte", at, true),
        ("length, high byte", at + 3, true),
        ("checksum", at + 5, false),
        ("record kind", at + 8, false),
        ("tick time", at + 9, false),
        ("body", at + 8 + len / 2, false),
        ("body, last byte", at + 8 + len - 1, false),
    ];
    for (part, byte, recoverable) in parts {
        let mut bad = data.clone();
        bad[byte] ^= 0x41;
        let rec = Recording::parse(bad).unwrap_or_else(|e| panic!("{part}: {e}"));
        let warnings = rec.warnings.join("; ");
        assert!(!warnings.contains("mid-write"), "{part}: {warnings}");
        if recoverable {
            assert_eq!(rec.ticks.len(), n, "{part}: {warnings}");
            assert!(warnings.contains("length field"), "{part}: {warnings}");
            assert_eq!(rec.skipped_ticks, 0, "{part}");
        } else {
            // The record and the 4 deltas after it, up to the keyframe: 5 ticks.
            assert_eq!(rec.skipped_ticks, 5, "{part}: {warnings}");
            assert_eq!(rec.ticks.len(), n - 5, "{part}: {warnings}");
            assert!(
                warnings.contains(&format!("byte {at}")),
                "{part}: {warnings}"
            );
            assert!(warnings.contains("5 tick(s) lost"), "{part}: {warnings}");
            assert!(rec.ticks[KEYFRAME_EVERY as usize - 5].keyframe, "{part}");
        }
        ticks_match(&rec, &snaps);
    }
    // The last record damaged (not cut): named as damage, not as a stopped recorder.
    let mut bad = data.clone();
    let last = starts[n];
    bad[last + 10] ^= 0x41;
    let rec = Recording::parse(bad).expect("readable");
    let warnings = rec.warnings.join("; ");
    assert_eq!(rec.ticks.len(), n - 1);
    assert!(
        warnings.contains("checksum mismatch") && !warnings.contains("mid-write"),
        "{warnings}"
    );
    // The keyframe damaged: its run is lost, the ticks before it are not.
    let mut bad = data.clone();
    let key = starts[KEYFRAME_EVERY as usize + 1];
    bad[key + 20] ^= 0x41;
    let rec = Recording::parse(bad).expect("readable");
    assert_eq!(rec.ticks.len(), KEYFRAME_EVERY as usize);
    assert_eq!(rec.skipped_ticks, 10);
    ticks_match(&rec, &snaps);
}

#[test]
fn junk_of_every_kind_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 3 GB sparse file: refused from its first bytes, not read whole.
    let sparse = dir.path().join("sparse");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(3 << 30))
        .expect("sparse file");
    let fifo = dir.path().join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .expect("mkfifo");
    for (path, says) in [
        (Path::new("/dev/zero"), "character device"),
        (Path::new("/dev/urandom"), "character device"),
        (Path::new("/"), "directory"),
        (fifo.as_path(), "FIFO"),
        (sparse.as_path(), "not a threadtop recording"),
    ] {
        let e = Recording::open(path).err().expect("refused");
        assert!(e.contains(says), "{}: {e}", path.display());
    }
}

/// A TID reused by a new task between ticks, and one TID held by two tasks of different
/// processes in one tick (reused during the scan): each comes back as the task it was,
/// with its own start time and counters. Matching a delta by TID alone gave the new task
/// the old one's identity, and no test recorded a reused TID.
#[test]
fn reused_tids_come_back_as_the_tasks_they_were() {
    let base = small(support::proc_scanner().scan(&DetailPlan::default()));
    let me = std::process::id();
    let mut t0 = base.clone();
    t0.processes.retain(|p| p.tgid == me);
    let p = t0.processes.first_mut().expect("this process is scanned");
    let mut thread = p.tasks[0].clone();
    thread.tid = 4_000_000;
    thread.tgid = me;
    thread.start_ticks = 100;
    thread.utime_ticks = 500;
    thread.comm = b"old-thread".into();
    p.tasks.push(thread.clone());
    // Tick 1: the TID is another task's now (started later, fewer ticks used).
    let mut t1 = t0.clone();
    t1.boot_ns += 1_000_000_000;
    let p1 = &mut t1.processes[0];
    let reused = p1.tasks.last_mut().expect("the thread");
    reused.start_ticks = 250;
    reused.utime_ticks = 3;
    reused.comm = b"new-thread".into();
    // Tick 2: the same TID also under another process (the old task's, read before it
    // exited): one TID twice in one tick, with two start times.
    let mut t2 = t1.clone();
    t2.boot_ns += 1_000_000_000;
    let mut other = t2.processes[0].clone();
    other.tgid = 4_000_001;
    for t in &mut other.tasks {
        t.tgid = other.tgid;
        t.tid += 1_000_000;
    }
    other.tasks[0].tid = other.tgid;
    let mut dup = thread.clone();
    dup.tgid = other.tgid;
    other.tasks.push(dup);
    t2.processes.push(other);
    let mut t3 = t2.clone();
    t3.boot_ns += 1_000_000_000;
    for p in &mut t3.processes {
        for t in &mut p.tasks {
            t.utime_ticks += 7;
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rec.tt");
    let mut rec = Recorder::create(&path, &header()).expect("create");
    let snaps = vec![t0, t1, t2, t3];
    for s in &snaps {
        rec.write(s.clone()).expect("write");
    }
    let rec = Recording::open(&path).expect("open");
    assert_eq!(rec.ticks.len(), snaps.len());
    ticks_match(&rec, &snaps);
    let t1 = rec.decode(1, None).expect("tick 1");
    let back = t1
        .tasks()
        .find(|t| t.tid == 4_000_000)
        .expect("the reused TID");
    assert_eq!((back.start_ticks, back.utime_ticks), (250, 3));
}
