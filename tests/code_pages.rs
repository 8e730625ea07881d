//! `code_pages::drop_code_pages` in a process of its own (this test binary runs one test,
//! so no other test thread maps code back in between the readings).

mod support;

use threadtop::code_pages::drop_code_pages;

/// Resident KiB of this executable's read-and-execute mappings.
fn code_rss_kib() -> u64 {
    support::smaps::code_rss_kib(std::process::id()).expect("this process's smaps")
}

#[test]
fn start_up_code_is_unmapped_and_runs_again_when_needed() {
    // Touch a good deal of code first: the parsers, the model's fixtures, formatting.
    let stat = b"1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 1 0 10 100 5 1 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0\n";
    assert!(threadtop::collect::parse::parse_stat(stat).is_some());
    let before = code_rss_kib();
    assert!(before > 0, "no code mapping found in smaps");
    let dropped = drop_code_pages().expect("madvise");
    assert!(
        dropped >= before as usize * 1024,
        "{dropped} bytes dropped, {before} KiB were resident"
    );
    let after = code_rss_kib();
    assert!(
        after < before,
        "code RSS {before} KiB before, {after} KiB after"
    );
    // The code still runs: whatever is needed is mapped again.
    let s = threadtop::collect::parse::parse_stat(stat).expect("parses after the drop");
    assert_eq!((s.pid, s.utime, s.stime), (1, 5, 6));
    assert!(code_rss_kib() > 0);
    println!("code RSS {before} KiB -> {after} KiB ({dropped} bytes of code mappings)");
}
