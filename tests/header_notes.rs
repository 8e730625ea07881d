//! The header's note on unreadable tasks says why they were unreadable: with too few file
//! descriptors it said "permission denied" while --json said "no_descriptors".

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use threadtop::app::App;
use threadtop::collect::{Snapshot, Unreadable};
use threadtop::model::ViewOptions;
use threadtop::ui::theme::Theme;

/// `machine(at)` with the first `reasons.len()` user tasks (by TID) unreadable, one reason
/// each, as the scanner marks them.
fn with_unreadable(at: u64, reasons: &[Unreadable]) -> Snapshot {
    let mut s = machine(at, 0);
    let mut tasks: Vec<_> = s
        .processes
        .iter_mut()
        .flat_map(|p| p.tasks.iter_mut())
        .filter(|t| !t.is_kernel_thread())
        .collect();
    tasks.sort_by_key(|t| t.tid);
    assert!(tasks.len() >= reasons.len(), "the fixture has enough tasks");
    for (t, r) in tasks.into_iter().zip(reasons) {
        t.stat_error = Some(*r);
    }
    s
}

fn header(reasons: &[Unreadable]) -> String {
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    app.on_snapshot(Arc::new(with_unreadable(10, reasons)));
    app.on_snapshot(Arc::new(with_unreadable(11, reasons)));
    let mut term = Terminal::new(TestBackend::new(200, 24)).expect("test backend");
    term.draw(|f| app.draw(f, Theme::mono())).expect("draw");
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn out_of_descriptors_is_said_so_not_permission_denied() {
    let screen = header(&[Unreadable::NoDescriptors, Unreadable::NoDescriptors]);
    assert!(
        screen.contains("2 tasks unreadable (out of file descriptors), shown as ?"),
        "{screen}"
    );
    assert!(!screen.contains("permission denied"), "{screen}");
}

#[test]
fn permission_denied_is_still_said_so() {
    let screen = header(&[Unreadable::Denied]);
    assert!(
        screen.contains("1 task unreadable (permission denied), shown as ?"),
        "{screen}"
    );
}

#[test]
fn mixed_reasons_are_each_counted_most_common_first() {
    let screen = header(&[
        Unreadable::Denied,
        Unreadable::NoDescriptors,
        Unreadable::NoDescriptors,
    ]);
    assert!(
        screen.contains(
            "3 tasks unreadable (2 out of file descriptors, 1 permission denied), shown as ?"
        ),
        "{screen}"
    );
}

#[test]
fn every_task_read_no_note() {
    let screen = header(&[]);
    assert!(!screen.contains("unreadable"), "{screen}");
}
