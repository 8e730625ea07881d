//! The display thread's work alone, for profilers: two real scans of this machine, then
//! the app folding them in turn and drawing each into a 200x50 lean backend writing to
//! a discarded buffer, ROUNDS times (default 300), as the display does every tick.
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use threadtop::app::App;
use threadtop::collect::{DetailPlan, Scanner};
use threadtop::model::ViewOptions;
use threadtop::terminal_backend::LeanBackend;
use threadtop::ui::theme::Theme;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let mut s = Scanner::new("/proc");
    let plan = DetailPlan::default();
    let mut snaps = Vec::new();
    // Thirty scans 100 ms apart, taken in turn: one step in thirty goes back in time.
    for _ in 0..30 {
        snaps.push(Arc::new(s.scan(&plan)));
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut app = App::new(ViewOptions::default(), Duration::from_secs(1));
    let mut term =
        Terminal::new(LeanBackend::new(std::io::sink(), 200, 50, true).with_fixed_size(200, 50))
            .expect("lean backend");
    let t0 = std::time::Instant::now();
    for i in 0..rounds {
        app.on_snapshot(snaps[i % snaps.len()].clone());
        let _ = term.draw(|f| app.draw(f, Theme::colored()));
    }
    println!(
        "{} tasks, {} rows, {:.3} ms a tick",
        snaps[0].task_count(),
        app.rows.len(),
        t0.elapsed().as_secs_f64() * 1e3 / rounds as f64
    );
}
