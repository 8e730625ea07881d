//! The loop: one channel carries keys, snapshots and signals; each event updates the
//! state, then the screen is drawn. /proc is read only by the collector thread, and input
//! by the input thread, so a slow scan never delays a key.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{self, Event as TermEvent, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::state::App;
use crate::collect::{Collector, Control, Snapshot};
use crate::ui::{self, theme::Theme};

pub enum Event {
    Key(KeyEvent),
    /// A click or the wheel (motion is not passed on).
    Mouse(MouseEvent),
    Resize,
    Snapshot(Box<Snapshot>),
    Signal(i32),
    /// The terminal went away (SSH drop without SIGHUP, closed pty).
    TerminalLost(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(i32),
    TerminalLost(String),
}

/// How often the input thread checks that the terminal is still there.
const INPUT_POLL: Duration = Duration::from_millis(250);

pub fn spawn_input(tx: Sender<Event>) {
    // A hang-up (SSH dropped, SIGHUP trapped by the shell) must not wait for crossterm.
    let lost = tx.clone();
    crate::terminal::on_hangup(move |why| {
        let _ = lost.send(Event::TerminalLost(why));
    });
    let _ = std::thread::Builder::new()
        .name("tt-input".into())
        .spawn(move || {
            loop {
                // After an SSH drop with SIGHUP ignored, crossterm keeps polling a dead tty;
                // checking the tty itself is what notices.
                if !std::io::stdin().is_terminal() {
                    let _ = tx.send(Event::TerminalLost("stdin is no longer a terminal".into()));
                    return;
                }
                let ev = match event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => event::read(),
                    Err(e) => Err(e),
                };
                let sent = match ev {
                    Ok(TermEvent::Key(k)) => tx.send(Event::Key(k)),
                    Ok(TermEvent::Resize(..)) => tx.send(Event::Resize),
                    // Motion would only cost redraws: clicks and the wheel are what count.
                    Ok(TermEvent::Mouse(m))
                        if !matches!(m.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) =>
                    {
                        tx.send(Event::Mouse(m))
                    }
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let _ = tx.send(Event::TerminalLost(format!("reading the terminal: {e}")));
                        return;
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        });
}

/// One frame: the layout follows the terminal's size (the app keeps it, for the page
/// height and the mouse), then the screen is drawn with that same layout.
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App, theme: Theme) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let size = terminal.size().wrap_err("reading the terminal size")?;
    app.set_frame(ui::layout(app, size.into(), theme));
    terminal
        .draw(|f| ui::draw(f, app, theme))
        .wrap_err("drawing")?;
    Ok(())
}

pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    mut app: App,
    proc_root: PathBuf,
    theme: Theme,
    tx: Sender<Event>,
    rx: Receiver<Event>,
) -> Result<Exit>
where
    B::Error: Send + Sync + 'static,
{
    let snap_tx = tx.clone();
    let collector = Collector::spawn(
        proc_root,
        app.refresh_interval,
        app.detail_plan(),
        move |s| snap_tx.send(Event::Snapshot(s)).is_ok(),
    );
    spawn_input(tx);
    let mut plan = app.detail_plan();
    let mut first_frame_drawn = false;
    loop {
        draw(terminal, &mut app, theme)?;
        if !first_frame_drawn && app.model.is_some() {
            // The collector holds its first full scan back until the first frame is out.
            first_frame_drawn = true;
            collector.send(Control::ScanNow);
        }
        let first = rx.recv().wrap_err("all event sources stopped")?;
        // Handle everything already waiting before drawing again.
        for ev in std::iter::once(first).chain(rx.try_iter()) {
            match ev {
                Event::Key(k) => {
                    let fx = app.handle_key(&k);
                    if let Some(d) = fx.interval {
                        collector.send(Control::Interval(d));
                    }
                    if fx.scan_now {
                        collector.send(Control::Detail(app.detail_plan()));
                        collector.send(Control::ScanNow);
                    }
                }
                Event::Mouse(m) => {
                    app.handle_mouse(&m);
                }
                Event::Resize => {}
                Event::Snapshot(s) => app.on_snapshot(Arc::from(s)),
                Event::Signal(sig) => return Ok(Exit::Signal(sig)),
                Event::TerminalLost(why) => return Ok(Exit::TerminalLost(why)),
            }
            if app.quit {
                return Ok(Exit::Quit);
            }
        }
        let wanted = app.detail_plan();
        if wanted != plan {
            collector.send(Control::Detail(wanted.clone()));
            // A sort that needs every task's detail, or a pane or columns that need what
            // the last scan did not read, should not wait a whole tick.
            if wanted.wants_scan_now(&plan) {
                collector.send(Control::ScanNow);
            }
            plan = wanted;
        }
    }
}
