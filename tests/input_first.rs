//! The loop draws a key's effect before it takes in a snapshot that came with the key:
//! taking a snapshot in is most of a frame's work (with 25,000 tasks under load a key's
//! effect took 14-19 s to show, waiting behind two of them).

mod fixture;

use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use threadtop::app::run::{Event, Exit, Source, run_loop};
use threadtop::app::{App, Effects, Overlay};
use threadtop::model::ViewOptions;
use threadtop::ui::theme::Theme;

/// Records, for every frame drawn, whether the help was open and whether a model was in;
/// ends the loop (with a signal) after `frames` frames.
struct Frames {
    seen: Vec<(bool, bool)>,
    frames: usize,
    tx: Sender<Event>,
}

impl Source for Frames {
    fn drawn(&mut self, app: &mut App) {
        let help = matches!(app.overlay, Overlay::Help { .. });
        self.seen.push((help, app.model.is_some()));
        // Something that is not input keeps the loop going (a resize); then the end.
        let next = if self.seen.len() == self.frames {
            Event::Signal(15)
        } else {
            Event::Resize
        };
        let _ = self.tx.send(next);
    }
    fn effects(&mut self, _app: &mut App, _fx: Effects) {}
}

#[test]
fn a_key_that_came_with_a_snapshot_is_drawn_before_the_snapshot_is_taken_in() {
    let (tx, rx) = channel();
    // Both waiting when the loop first looks: the snapshot first, as when a key is typed
    // while the previous frame's snapshot was being taken in.
    tx.send(Event::Snapshot(Box::new(machine(10, 0))))
        .expect("queued");
    tx.send(Event::Key(KeyEvent::new(
        KeyCode::Char('?'),
        KeyModifiers::NONE,
    )))
    .expect("queued");
    let mut source = Frames {
        seen: Vec::new(),
        frames: 3,
        tx: tx.clone(),
    };
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("test terminal");
    let app = App::new(ViewOptions::default(), Duration::from_secs(1));
    let exit = run_loop(&mut terminal, app, Theme::mono(), rx, &mut source).expect("runs");
    assert_eq!(exit, Exit::Signal(15));
    assert_eq!(
        source.seen,
        vec![
            (false, false), // the first frame: nothing yet
            (true, false),  // the key's frame: help open, the snapshot not taken in yet
            (true, true),   // the snapshot taken in on the next pass
        ]
    );
}

#[test]
fn keys_held_down_do_not_starve_the_data() {
    // A key with every snapshot: each snapshot is held back at most one frame.
    let (tx, rx) = channel();
    tx.send(Event::Snapshot(Box::new(machine(10, 0))))
        .expect("queued");
    tx.send(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)))
        .expect("queued");
    struct KeysAlways {
        seen: Vec<bool>,
        tx: Sender<Event>,
    }
    impl Source for KeysAlways {
        fn drawn(&mut self, app: &mut App) {
            self.seen.push(app.model.is_some());
            // Another key comes with every frame, before the loop looks again.
            let _ = self
                .tx
                .send(Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
            if self.seen.len() == 3 {
                let _ = self.tx.send(Event::Signal(15));
            }
        }
        fn effects(&mut self, _app: &mut App, _fx: Effects) {}
    }
    let mut source = KeysAlways {
        seen: Vec::new(),
        tx: tx.clone(),
    };
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("test terminal");
    let app = App::new(ViewOptions::default(), Duration::from_secs(1));
    run_loop(&mut terminal, app, Theme::mono(), rx, &mut source).expect("runs");
    assert_eq!(source.seen, vec![false, false, true]);
}
