//! The recording format: exact round trips of real scans, and a reader that never panics
//! on truncated, corrupted or foreign files.

use std::path::Path;

use proptest::prelude::*;
use threadtop::collect::{DetailPlan, Scanner, Snapshot};
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
    let mut scanner = Scanner::new("/proc");
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
        let snap = SNAP.get_or_init(|| small(Scanner::new("/proc").scan(&DetailPlan::default())));
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
