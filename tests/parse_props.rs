//! Property tests of the /proc parsers: arbitrary bytes never panic, and any well-formed
//! stat line round-trips whatever its comm holds.

use proptest::prelude::*;
use threadtop::collect::parse::{parse_io, parse_schedstat, parse_stat, parse_statm, parse_status};
use threadtop::text::escape;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_stat(&bytes);
        let _ = parse_schedstat(&bytes);
        let _ = parse_status(&bytes);
        let _ = parse_io(&bytes);
        let _ = parse_statm(&bytes);
        let e = escape(&bytes);
        prop_assert!(!e.chars().any(|c| c.is_control()));
    }

    #[test]
    fn well_formed_stat_round_trips(
        comm in proptest::collection::vec(any::<u8>(), 0..16),
        pid in 1u32..4_000_000,
        state in proptest::sample::select(vec!['R', 'S', 'D', 'T', 't', 'Z', 'I', 'X']),
        ppid in 0u32..4_000_000,
        utime in any::<u32>(),
        nice in -20i64..20,
        start in any::<u64>(),
        cpu in 0u32..4096,
        policy in 0u32..7,
    ) {
        let mut line = format!("{pid} (").into_bytes();
        line.extend_from_slice(&comm);
        line.extend_from_slice(format!(
            ") {state} {ppid} 1 1 0 -1 4194560 0 0 0 0 {utime} 3 0 0 {} {nice} 1 0 {start} 100 5 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 {cpu} 0 {policy} 0 0 0\n",
            20 + nice
        ).as_bytes());
        let s = parse_stat(&line).expect("well-formed line parses");
        prop_assert_eq!(s.pid, pid);
        prop_assert_eq!(s.comm, &comm[..]);
        prop_assert_eq!(s.state, state as u8);
        prop_assert_eq!(s.ppid, ppid);
        prop_assert_eq!(s.utime, u64::from(utime));
        prop_assert_eq!(s.nice, nice);
        prop_assert_eq!(s.starttime, start);
        prop_assert_eq!(s.processor, Some(cpu));
        prop_assert_eq!(s.policy, policy);
    }

    #[test]
    fn any_prefix_of_a_stat_line_is_rejected_or_consistent(cut in 0usize..120) {
        let line = b"4242 (x) y) S 1 4242 4242 0 -1 0 0 0 0 0 9 8 0 0 20 0 3 0 777 100 5 0 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0\n";
        let cut = cut.min(line.len());
        if let Some(s) = parse_stat(&line[..cut]) {
            prop_assert_eq!(s.pid, 4242);
            prop_assert_eq!(s.comm, &b"x) y"[..]);
            prop_assert_eq!(s.state, b'S');
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn well_formed_schedstat_and_status_round_trip(
        run in any::<u64>(),
        wait in any::<u64>(),
        slices in any::<u64>(),
        name in proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..64),
        vol in any::<u64>(),
        invol in any::<u64>(),
        cpus in proptest::collection::vec(0u32..4096, 1..8),
    ) {
        let s = parse_schedstat(format!("{run} {wait} {slices}\n").as_bytes()).expect("parses");
        prop_assert_eq!((s.run_ns, s.wait_ns, s.timeslices), (run, wait, slices));
        // The Name line is free text (the kernel escapes only newlines): it may even spell
        // out the other keys, and must not be mistaken for them.
        let list = cpus.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let mut status = b"Name:\t".to_vec();
        status.extend_from_slice(&name);
        status.extend_from_slice(format!(
            "\nState:\tS (sleeping)\nCpus_allowed_list:\t{list}\nvoluntary_ctxt_switches:\t{vol}\nnonvoluntary_ctxt_switches:\t{invol}\n"
        ).as_bytes());
        let d = parse_status(&status).expect("parses");
        prop_assert_eq!((d.voluntary_switches, d.involuntary_switches), (vol, invol));
        prop_assert_eq!(d.cpus_allowed, list);
    }

    #[test]
    fn escaped_text_has_no_control_bidi_or_invisible_format_characters(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        text in ".{0,40}",
    ) {
        use unicode_width::UnicodeWidthChar;
        for input in [&bytes[..], text.as_bytes()] {
            let e = escape(input);
            // Every character has a width (combining marks have 0 and join the cell
            // before them, as in a decomposed "é"); none can reorder or hide text.
            prop_assert!(e.chars().all(|c| c.width().is_some()), "{e:?}");
            prop_assert!(
                !e.chars().any(|c| matches!(c as u32,
                    0x80..=0x9f | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff)),
                "{e:?}"
            );
            // Nothing is lost: the escaped form is never shorter than the printable input.
            prop_assert!(e.len() >= input.iter().filter(|b| b.is_ascii_graphic()).count());
        }
    }
}

#[test]
fn io_and_statm_as_the_kernel_writes_them() {
    let io = b"rchar: 4292\nwchar: 0\nsyscr: 11\nsyscw: 0\nread_bytes: 8192\nwrite_bytes: 65536\ncancelled_write_bytes: 0\n";
    let v = parse_io(io).expect("io");
    assert_eq!((v.read_bytes, v.write_bytes), (8192, 65536));
    assert!(
        parse_io(b"rchar: 1\nwchar: 2\n").is_none(),
        "no storage fields"
    );
    let m = parse_statm(b"2249401 10304 5209 1 0 129477 0\n").expect("statm");
    assert_eq!(
        (m.size_pages, m.resident_pages, m.shared_pages),
        (2249401, 10304, 5209)
    );
    assert!(parse_statm(b"12 x 3").is_none());
    assert!(parse_statm(b"12 3").is_none());
}
