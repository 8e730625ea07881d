//! Bytes written to the terminal for a screen whose shown values did not change, counted
//! through threadtop's own backend (no timing): rows are sorted by what they show, so two
//! threads that both read `0.0` CPU% keep their places when their hidden digits swap
//! order, and nothing is written. Sorted by the raw values they swapped rows every tick
//! (10,000 waking threads: hundreds of bytes a frame for rows that read the same).

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use fixture::*;
use ratatui::Terminal;
use threadtop::app::App;
use threadtop::model::ViewOptions;
use threadtop::terminal_backend::LeanBackend;
use threadtop::ui::theme::Theme;

/// A process of three threads; `a` and `b` have run this much CPU time so far (ns).
fn tick(at_secs: u64, a_ns: u64, b_ns: u64) -> threadtop::collect::Snapshot {
    snap(
        at_secs,
        vec![p(
            100,
            1,
            b"srv",
            vec![
                t(100, b"srv", b'S', 0),
                t(101, b"alpha", b'S', a_ns),
                t(102, b"beta", b'S', b_ns),
            ],
        )],
    )
}

#[test]
fn rows_that_read_the_same_are_not_rewritten_when_their_hidden_digits_swap() {
    let mut term =
        match Terminal::new(LeanBackend::new(Vec::new(), 120, 20, true).with_fixed_size(120, 20)) {
            Ok(t) => t,
            Err(e) => panic!("backend: {e}"),
        };
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    // Tick 1: alpha 0.02 %, beta 0.04 %; tick 2: alpha 0.04 %, beta 0.02 %. Both read 0.0.
    app.on_snapshot(Arc::new(tick(10, 0, 0)));
    app.on_snapshot(Arc::new(tick(11, 200_000, 400_000)));
    let _ = term.draw(|f| app.draw(f, Theme::mono()));
    let order = |app: &App| -> Vec<u32> { app.rows.iter().map(|r| r.tid).collect() };
    let first = order(&app);
    term.backend_mut().writer_mut().clear();
    app.on_snapshot(Arc::new(tick(12, 600_000, 600_000)));
    let _ = term.draw(|f| app.draw(f, Theme::mono()));
    assert_eq!(order(&app), first, "rows that read the same swapped places");
    // Only the header's clock moved (uptime: one digit). Every write goes to a line the
    // backend moved to with an absolute position; none may be below the header.
    let out = String::from_utf8_lossy(term.backend().writer()).into_owned();
    let lines: Vec<u16> = out
        .split("\u{1b}[")
        .skip(1)
        .filter_map(|seq| {
            let end = seq.find(|c: char| c.is_ascii_alphabetic())?;
            let (args, f) = (&seq[..end], &seq[end..=end]);
            (f == "H")
                .then(|| args.split(';').next()?.parse().ok())
                .flatten()
        })
        .collect();
    // `table.y` counts from 0 and the terminal's lines from 1: lines 1..=table.y are
    // the header's.
    let header = app.frame.as_ref().map_or(0, |f| f.layout.table.y);
    assert!(
        lines.iter().all(|&y| y <= header),
        "an unchanged table was written to (lines {lines:?}, table from line {}): {out:?}",
        header + 1
    );
    assert!(
        out.len() <= 16,
        "{} bytes for one clock digit: {out:?}",
        out.len()
    );
}
