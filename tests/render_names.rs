//! The NAME cell at narrow widths: cut text ends with an ellipsis, and a pool's count is the
//! last thing to go (at 80 columns a 20-thread pool read `pool-#-thread-# ×2`).

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use threadtop::app::App;
use threadtop::collect::Snapshot;
use threadtop::model::{SortKey, ViewOptions};
use threadtop::ui::theme::Theme;

fn leak(s: String) -> &'static [u8] {
    Box::leak(s.into_bytes().into_boxed_slice())
}

/// A JVM-like process with a long command line and a 20-thread pool.
fn jvm(at: u64) -> Snapshot {
    let mut tasks = vec![t(500, b"java", b'S', 0)];
    for i in 1..=20u32 {
        let name = format!("pool-1-thread-{i}");
        tasks.push(t(
            500 + i,
            leak(name[..name.len().min(15)].to_string()),
            b'S',
            0,
        ));
    }
    snap(
        at,
        vec![p(
            500,
            1,
            b"/usr/lib/jvm/java-17-openjdk-amd64/bin/java\0-Xmx4g\0-cp\0/opt/app/lib/*\0com.example.Main",
            tasks,
        )],
    )
}

fn screen(w: u16, theme: Theme) -> Vec<String> {
    let mut app = App::new(
        ViewOptions {
            sort: SortKey::Tid,
            ..ViewOptions::default()
        },
        Duration::from_secs(1),
    );
    app.on_snapshot(Arc::new(jvm(10)));
    app.on_snapshot(Arc::new(jvm(11)));
    let mut term = Terminal::new(TestBackend::new(w, 24)).expect("test backend");
    term.draw(|f| app.draw(f, theme)).expect("draw");
    let buf = term.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", lines.join("\n")))
}

#[test]
fn at_80_columns_the_pool_keeps_its_count_and_the_command_line_ends_in_an_ellipsis() {
    let lines = screen(80, Theme::mono());
    // NAME is 22 cells; the guides and fold mark take 4.
    let pool = line_with(&lines, "×20");
    assert!(pool.ends_with("└─▸ pool-1-thread… ×20"), "{pool:?}");
    let process = line_with(&lines, "java  /usr/lib");
    assert!(process.ends_with('…'), "{process:?}");
    assert_eq!(unicode_width::UnicodeWidthStr::width(process), 80);
    // One process is one, not "1 procs".
    assert!(
        line_with(&lines, "Tasks").contains("Tasks 21, 1 proc: "),
        "{lines:?}"
    );
    assert!(line_with(&lines, "tree ·").contains(" 3 rows"));
}

#[test]
fn the_long_header_says_1_process() {
    let lines = screen(160, Theme::mono());
    assert!(
        line_with(&lines, "Tasks").contains("Tasks 21 (1 process): "),
        "{lines:?}"
    );
}

#[test]
fn pool_drops_its_tag_before_its_name() {
    let lines = screen(82, Theme::mono());
    let pool = line_with(&lines, "×20");
    assert!(pool.ends_with("└─▸ pool-1-thread-# ×20"), "{pool:?}");
}

#[test]
fn at_120_columns_the_pool_says_it_is_one() {
    let lines = screen(120, Theme::mono());
    assert!(line_with(&lines, "pool-1-thread-#").ends_with("pool-1-thread-# ×20 (pool)"));
}

#[test]
fn a_narrower_table_cuts_the_pool_name_before_its_count() {
    // 70 columns: THR is dropped, NAME is 17 cells wide, the guides and mark take 4.
    let lines = screen(70, Theme::mono());
    let pool = line_with(&lines, "×20");
    assert!(pool.ends_with("└─▸ pool-1-t… ×20"), "{pool:?}");
}

#[test]
fn ascii_mode_cuts_with_dots() {
    let lines = screen(80, Theme::mono().ascii());
    let process = line_with(&lines, "java  /usr/lib");
    assert!(process.ends_with("..."), "{process:?}");
    let pool = line_with(&lines, "x20");
    assert!(pool.ends_with("pool-1-thre... x20"), "{pool:?}");
}
