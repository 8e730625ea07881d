//! The loop: one channel carries keys, snapshots and signals; each event updates the
//! state, then the screen is drawn. /proc is read only by the collector thread, and input
//! by the input thread, so a slow scan never delays a key.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event as TermEvent, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::effects::Effects;
use super::runner;
use super::state::App;
use crate::collect::events::source::Feed;
use crate::collect::{Backlog, Collector, Control, DetailPlan, Snapshot};
use crate::input::Wait;
use crate::ui::theme::Theme;

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

/// How often the input thread checks that the terminal is still there (and its size)
/// when nothing wakes it: a resize (SIGWINCH) and a hand-off's pause wake it at once
/// (`input_gate::wake_fd`). Without that channel, a quarter second.
const INPUT_POLL: Duration = Duration::from_secs(1);
const INPUT_POLL_UNWOKEN: Duration = Duration::from_millis(250);

pub fn spawn_input(tx: Sender<Event>) {
    // A hang-up (SSH dropped, SIGHUP trapped by the shell) must not wait for a read.
    let lost = tx.clone();
    crate::terminal::on_hangup(move |why| {
        // A tool handed the terminal (`!`) goes with it: the loop is waiting for it.
        crate::act::tool::signal_running(libc::SIGHUP);
        let _ = lost.send(Event::TerminalLost(why));
    });
    // Counted before the thread starts, so a hand-off right away still waits for it.
    let running = super::input_gate::running();
    let _ = std::thread::Builder::new()
        .name("tt-input".into())
        .spawn(move || {
            let _running = running;
            let mut size = crate::terminal::size().ok();
            let mut reader = crate::input::TtyReader::new();
            loop {
                // A tool has the terminal (the hand-off): wait until it is ours again.
                super::input_gate::checkpoint();
                // After an SSH drop with SIGHUP ignored, poll(2) may keep saying nothing
                // on a dead tty; checking the tty itself is what notices.
                if !std::io::stdin().is_terminal() {
                    let _ = tx.send(Event::TerminalLost("stdin is no longer a terminal".into()));
                    return;
                }
                let waited = match super::input_gate::wake_fd() {
                    Some(wake) => crate::input::wait_stdin_or(wake, INPUT_POLL),
                    None => crate::input::wait_stdin(INPUT_POLL_UNWOKEN),
                };
                super::input_gate::drain_wake();
                let input = match waited {
                    Wait::Idle => false,
                    Wait::HungUp => {
                        let _ = tx.send(Event::TerminalLost("the terminal hung up".into()));
                        return;
                    }
                    Wait::Input => true,
                };
                if input {
                    // Everything that came, decoded whole: nothing is left parsed and
                    // unsent (see `crate::input`).
                    let events = match reader.read() {
                        Ok(events) => events,
                        Err(why) => {
                            let _ = tx.send(Event::TerminalLost(why));
                            return;
                        }
                    };
                    for ev in events {
                        let sent = match ev {
                            TermEvent::Key(k) => tx.send(Event::Key(k)),
                            // Motion would only cost redraws: clicks and the wheel count.
                            TermEvent::Mouse(m)
                                if !matches!(
                                    m.kind,
                                    MouseEventKind::Moved | MouseEventKind::Drag(_)
                                ) =>
                            {
                                tx.send(Event::Mouse(m))
                            }
                            _ => Ok(()),
                        };
                        if sent.is_err() {
                            return;
                        }
                    }
                }
                // The size is looked at on every pass (an ioctl): after a SIGWINCH, at
                // least every `INPUT_POLL`, and during a stream of keys too.
                let now = crate::terminal::size().ok();
                if now != size {
                    size = now;
                    if tx.send(Event::Resize).is_err() {
                        return;
                    }
                }
            }
        });
}

/// One frame: one layout pass at the terminal's size, drawn, and kept by the app (for the
/// page height and the mouse).
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App, theme: Theme) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    terminal.draw(|f| app.draw(f, theme)).wrap_err("drawing")?;
    Ok(())
}

/// Where the data comes from: the collector (live) or a recording (replay). The loop
/// around it is the same: draw, wait for events, handle every one waiting, draw again.
pub trait Source {
    /// A frame is out.
    fn drawn(&mut self, _app: &mut App) {}
    /// How long to wait for an event before [`Source::tick`]; `None`: until one comes.
    fn wait(&self) -> Option<Duration> {
        None
    }
    /// No event came within [`Source::wait`].
    fn tick(&mut self, _app: &mut App) {}
    /// A snapshot was taken in (the model built on it, the one before dropped).
    fn taken(&mut self) {}
    /// What a key or click asked of the loop (its act request has already been run).
    fn effects(&mut self, app: &mut App, fx: Effects);
    /// Every waiting event was handled; the next frame comes.
    fn settled(&mut self, _app: &mut App) {}
    /// A tool has the terminal (`true`) or has ended (`false`, the refresh interval to
    /// go back to): nothing is drawn meanwhile, so nothing need be read.
    fn hold(&mut self, _held: bool, _every: Duration) {}
}

/// The loop, live or replayed.
pub fn run_loop<B: Backend, S: Source>(
    terminal: &mut Terminal<B>,
    mut app: App,
    theme: Theme,
    rx: Receiver<Event>,
    source: &mut S,
) -> Result<Exit>
where
    B::Error: Send + Sync + 'static,
{
    // A snapshot that came with input, held back until the input's frame is out.
    let mut held: Option<Event> = None;
    loop {
        draw(terminal, &mut app, theme)?;
        source.drawn(&mut app);
        let was_held = held.is_some();
        let first = match held.take() {
            Some(ev) => ev,
            None => match source.wait() {
                None => rx.recv().wrap_err("all event sources stopped")?,
                Some(d) => match rx.recv_timeout(d) {
                    Ok(ev) => ev,
                    Err(RecvTimeoutError::Timeout) => {
                        source.tick(&mut app);
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(Exit::Quit),
                },
            },
        };
        // Handle everything already waiting before drawing again. Of the snapshots waiting,
        // only the newest is taken in: when building the model for one takes longer than the
        // tick (15,000 tasks, events on, `--delay 0.1`: RSS grew 12 MiB a second as the
        // channel queued them), the older ones are dropped, not queued. Rates then span the
        // longer interval, which they measure by the snapshots' own clocks.
        //
        // Input goes before a snapshot: taking a snapshot in (the model of every task, then
        // the rows) is most of a frame's work, so a key that came with one is drawn first
        // and the snapshot is taken in on the next pass (once: a key held down must not
        // starve the data). With 25,000 tasks under a load average of 300-550 a key's
        // effect took 14-19 s to show: it waited for the snapshot being taken in and then
        // for the next one, queued before it.
        let batch: Vec<Event> = std::iter::once(first).chain(rx.try_iter()).collect();
        let newest = batch
            .iter()
            .rposition(|ev| matches!(ev, Event::Snapshot(_)));
        let input = batch
            .iter()
            .any(|ev| matches!(ev, Event::Key(_) | Event::Mouse(_)));
        for (i, ev) in batch.into_iter().enumerate() {
            if matches!(ev, Event::Snapshot(_)) && Some(i) != newest {
                continue;
            }
            if matches!(ev, Event::Snapshot(_)) && input && !was_held {
                held = Some(ev);
                continue;
            }
            let fx = match ev {
                Event::Key(k) => app.handle_key(&k),
                Event::Mouse(m) => app.handle_mouse(&m),
                Event::Resize => Effects::default(),
                Event::Snapshot(s) => {
                    app.on_snapshot(Arc::from(s));
                    source.taken();
                    Effects::default()
                }
                Event::Signal(sig) => return Ok(Exit::Signal(sig)),
                Event::TerminalLost(why) => return Ok(Exit::TerminalLost(why)),
            };
            runner::apply(&mut app, &fx);
            if fx.suspend {
                crate::terminal::suspend().wrap_err("resuming after Ctrl-Z")?;
                // The shell drew on the screen meanwhile: everything is drawn again.
                terminal.clear().wrap_err("clearing after Ctrl-Z")?;
            }
            let every = app.refresh_interval;
            if let Some(h) = &fx.hand_off
                && runner::hand_off(&mut app, h, &mut |held| source.hold(held, every))
                    .wrap_err("taking the terminal back after a tool")?
            {
                // The tool drew on the screen meanwhile: everything is drawn again.
                terminal.clear().wrap_err("clearing after a tool")?;
            }
            source.effects(&mut app, fx);
            if app.quit {
                return Ok(Exit::Quit);
            }
        }
        app.settle();
        source.settled(&mut app);
    }
}

/// The live source: the collector thread, told what to read as the screen changes.
struct Live {
    collector: Collector,
    /// Told when a snapshot is taken in: the collector scans again only then.
    backlog: Arc<Backlog>,
    plan: DetailPlan,
    first_frame_drawn: bool,
    /// Whether start-up's code pages were given back (`code_pages`), once.
    code_dropped: bool,
}

impl Source for Live {
    fn taken(&mut self) {
        self.backlog.taken();
    }

    fn drawn(&mut self, app: &mut App) {
        if !self.first_frame_drawn && app.model.is_some() {
            // The collector holds its first full scan back until the first frame is out.
            self.first_frame_drawn = true;
            self.collector.send(Control::ScanNow);
        }
        if !self.code_dropped && app.model.as_ref().is_some_and(|m| m.start_up_over()) {
            // Start-up's code is not run again: its pages are given back (`code_pages`);
            // failing to is only a bigger RSS.
            self.code_dropped = true;
            let _ = crate::code_pages::drop_code_pages();
        }
    }

    fn effects(&mut self, app: &mut App, fx: Effects) {
        if let Some(d) = fx.interval {
            self.collector.send(Control::Interval(d));
        }
        if fx.scan_now {
            self.collector.send(Control::Detail(app.detail_plan()));
            self.collector.send(Control::ScanNow);
        }
    }

    /// While a tool runs (an hour of gdb, say) the loop draws nothing and takes in no
    /// snapshot: left ticking, the collector would queue a whole snapshot a tick in the
    /// channel. It waits a day instead, and scans at once when told the interval again.
    fn hold(&mut self, held: bool, every: Duration) {
        self.collector.send(Control::Interval(if held {
            Duration::from_secs(24 * 3600)
        } else {
            every
        }));
    }

    fn settled(&mut self, app: &mut App) {
        let wanted = app.detail_plan();
        if wanted != self.plan {
            self.collector.send(Control::Detail(wanted.clone()));
            // A sort that needs every task's detail, or a pane or columns that need what
            // the last scan did not read, should not wait a whole tick.
            if wanted.wants_scan_now(&self.plan) {
                self.collector.send(Control::ScanNow);
            }
            self.plan = wanted;
        }
    }
}

pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    app: App,
    proc_root: PathBuf,
    theme: Theme,
    events: Option<Feed>,
    tx: Sender<Event>,
    rx: Receiver<Event>,
) -> Result<Exit>
where
    B::Error: Send + Sync + 'static,
{
    let snap_tx = tx.clone();
    let backlog = Backlog::new();
    let collector = Collector::spawn_gated(
        proc_root,
        app.refresh_interval,
        app.detail_plan(),
        events,
        Some(backlog.clone()),
        move |s| snap_tx.send(Event::Snapshot(s)).is_ok(),
    );
    spawn_input(tx);
    let mut live = Live {
        collector,
        backlog,
        plan: app.detail_plan(),
        first_frame_drawn: false,
        code_dropped: false,
    };
    run_loop(terminal, app, theme, rx, &mut live)
}
