//! The replay loop: the same UI, fed from a recording instead of the collector. A time bar
//! shows where we are; keys pause, play faster, step and jump. Nothing here changes the
//! system (the app refuses actions while `replay` is set).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use color_eyre::eyre::Result;
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::effects::Effects;
use super::effects::ReplayCmd;
use super::run::{Event, Exit, Source, run_loop, spawn_input};
use super::state::App;
use crate::collect::Snapshot;
use crate::model::Model;
use crate::model::format;
use crate::record::Recording;
use crate::record::time::{format_time_of_day, parse_duration, parse_time_of_day};
use crate::ui::theme::Theme;
use crate::ui::timebar::ReplayInfo;

/// Ticks of history rebuilt after a jump, so CPU strips and rates are there at once.
const HISTORY_AFTER_JUMP: usize = 30;
const SPEEDS: [u32; 5] = [1, 2, 4, 8, 16];

pub struct Player {
    rec: Recording,
    pos: usize,
    playing: bool,
    speed: u32,
    /// The last decoded tick, to step forward without going back to a keyframe.
    last: Option<(usize, Snapshot)>,
}

impl Player {
    pub fn new(rec: Recording) -> Self {
        Player {
            rec,
            pos: 0,
            playing: false,
            speed: 1,
            last: None,
        }
    }

    pub fn len(&self) -> usize {
        self.rec.ticks.len()
    }

    /// The interval the recording was made at.
    pub fn recorded_interval(&self) -> Duration {
        Duration::from_nanos(self.rec.header.interval_ns)
    }

    pub fn is_empty(&self) -> bool {
        self.rec.ticks.is_empty()
    }

    fn decode(&mut self, i: usize) -> Result<Snapshot, String> {
        let from = self.last.as_ref().map(|(j, s)| (*j, s));
        let snap = self.rec.decode(i, from)?;
        self.last = Some((i, snap.clone()));
        Ok(snap)
    }

    /// The model at tick `i`, with up to HISTORY_AFTER_JUMP ticks of history behind it.
    pub fn model_at(&mut self, i: usize) -> Result<Model, String> {
        let start = i.saturating_sub(HISTORY_AFTER_JUMP);
        self.last = None;
        let mut model = Model::new(None, Arc::new(self.decode(start)?));
        for j in start + 1..=i {
            model = model.advance(Arc::new(self.decode(j)?));
        }
        self.pos = i;
        Ok(model)
    }

    /// Finds the tick for a user's time: an offset from the start (`1m30s`) or a local
    /// time of day (`03:12:05`, on the recording's first day or the next).
    pub fn tick_for(&self, text: &str) -> Option<usize> {
        let target_offset = if let Some(d) = parse_duration(text) {
            d.as_secs_f64()
        } else {
            let tod = parse_time_of_day(text)? as f64;
            let start_ns = self.rec.wall_ns(0);
            let start_tod = {
                let s = format_time_of_day(start_ns);
                parse_time_of_day(&s)? as f64
            };
            let mut off = tod - start_tod;
            if off < 0.0 {
                off += 86_400.0;
            }
            off
        };
        // The last tick at or before the target; the first when the target is before it.
        let mut best = 0;
        for i in 0..self.len() {
            if self.rec.offset_secs(i) <= target_offset + 1e-6 {
                best = i;
            } else {
                break;
            }
        }
        Some(best)
    }

    /// As [`Player::tick_for`], for `--at`: a time past the recording's end (by more than
    /// one recorded interval) is an error naming the recording's span, not its last tick.
    pub fn tick_at(&self, text: &str) -> Result<usize, String> {
        let i = self.tick_for(text).ok_or_else(|| {
            format!(
                "'{text}' is not a time: use an offset (90s, 1m30s) or a time of day (03:12:05)"
            )
        })?;
        let last = self.len().saturating_sub(1);
        let total = self.rec.offset_secs(last);
        let slack = self.recorded_interval().as_secs_f64().max(1.0);
        let asked = match parse_duration(text) {
            Some(d) => d.as_secs_f64(),
            // A time of day: where it falls from the first tick, as `tick_for` found it.
            None => self.offset_of_time_of_day(text).unwrap_or(0.0),
        };
        if i == last && asked > total + slack {
            let n = self.len();
            return Err(format!(
                "'{text}' is past the end of the recording: it spans {} ({} to {}, {n} {})",
                format::duration(Duration::from_secs_f64(total.round())),
                format_time_of_day(self.rec.wall_ns(0)),
                format_time_of_day(self.rec.wall_ns(last)),
                if n == 1 { "tick" } else { "ticks" }
            ));
        }
        Ok(i)
    }

    fn offset_of_time_of_day(&self, text: &str) -> Option<f64> {
        let tod = parse_time_of_day(text)? as f64;
        let start = parse_time_of_day(&format_time_of_day(self.rec.wall_ns(0)))? as f64;
        let off = tod - start;
        Some(if off < 0.0 { off + 86_400.0 } else { off })
    }

    pub fn info(&self) -> ReplayInfo {
        let last = self.len().saturating_sub(1);
        let total = self.rec.offset_secs(last);
        let now = self.rec.offset_secs(self.pos);
        ReplayInfo {
            position: format!(
                "REPLAY {} {}  +{} of {}  tick {}/{}",
                self.rec.header.hostname,
                format_time_of_day(self.rec.wall_ns(self.pos)),
                format::duration(Duration::from_secs_f64(now.round())),
                format::duration(Duration::from_secs_f64(total.round())),
                self.pos + 1,
                self.len()
            ),
            fraction: if total > 0.0 { now / total } else { 1.0 },
            playing: self.playing,
            speed: self.speed,
        }
    }

    /// Where tick `i` is in the recording, for `replay --json`.
    pub fn tick_info(&self, i: usize) -> crate::json::RecordingTick {
        crate::json::RecordingTick {
            tick: i + 1,
            ticks: self.len(),
            offset_secs: self.rec.offset_secs(i),
            unix_ns: self.rec.wall_ns(i),
            hostname: self.rec.header.hostname.clone(),
        }
    }

    fn interval(&self) -> Duration {
        let i = self.pos.min(self.len().saturating_sub(2));
        let gap = self.rec.offset_secs(i + 1) - self.rec.offset_secs(i);
        Duration::from_secs_f64((gap.max(0.01)) / f64::from(self.speed))
    }
}

/// Moves `app` to tick `i` of the recording.
fn show(app: &mut App, player: &mut Player, i: usize) {
    let i = i.min(player.len().saturating_sub(1));
    let forward_one =
        i == player.pos + 1 && player.last.as_ref().is_some_and(|(j, _)| *j == player.pos);
    let result = if forward_one && app.model.is_some() {
        player.decode(i).map(|s| {
            player.pos = i;
            app.on_snapshot(Arc::new(s));
        })
    } else {
        player.model_at(i).map(|m| app.set_model(m))
    };
    if let Err(e) = result {
        app.status = Some(format!("cannot read this part of the recording: {e}"));
        player.playing = false;
    }
    app.replay = Some(player.info());
}

/// The replay source: a recording, stepped by the replay keys and, while playing, by time.
struct Replay {
    player: Player,
    next_step: Instant,
}

impl Source for Replay {
    fn wait(&self) -> Option<Duration> {
        self.player
            .playing
            .then(|| self.next_step.saturating_duration_since(Instant::now()))
    }

    fn tick(&mut self, app: &mut App) {
        let player = &mut self.player;
        if player.pos + 1 >= player.len() {
            player.playing = false;
            app.replay = Some(player.info());
        } else {
            let next = player.pos + 1;
            show(app, player, next);
            self.next_step = Instant::now() + player.interval();
        }
    }

    fn effects(&mut self, app: &mut App, fx: Effects) {
        let Some(cmd) = fx.replay else { return };
        let player = &mut self.player;
        match cmd {
            ReplayCmd::PlayPause => {
                player.playing = !player.playing;
                if player.playing && player.pos + 1 >= player.len() {
                    // At the end, play starts over.
                    show(app, player, 0);
                }
                self.next_step = Instant::now() + player.interval();
            }
            ReplayCmd::Step(n) => {
                player.playing = false;
                let to = (player.pos as i64 + n).clamp(0, player.len() as i64 - 1);
                show(app, player, to as usize);
            }
            ReplayCmd::Faster => {
                let i = SPEEDS.iter().position(|s| *s == player.speed).unwrap_or(0);
                player.speed = SPEEDS[(i + 1) % SPEEDS.len()];
            }
            ReplayCmd::Jump(text) => match player.tick_for(&text) {
                Some(i) => show(app, player, i),
                None => {
                    app.status = Some(format!(
                        "'{text}' is not a time: use an offset (90s, 1m30s) or a time of day (03:12:05)"
                    ))
                }
            },
        }
        app.replay = Some(player.info());
    }
}

pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    mut app: App,
    mut player: Player,
    start: usize,
    theme: Theme,
    tx: Sender<Event>,
    rx: Receiver<Event>,
) -> Result<Exit>
where
    B::Error: Send + Sync + 'static,
{
    spawn_input(tx);
    if let Some(w) = player.rec.warnings.first() {
        app.status = Some(w.clone());
    }
    show(&mut app, &mut player, start);
    let mut source = Replay {
        player,
        next_step: Instant::now(),
    };
    run_loop(terminal, app, theme, rx, &mut source)
}
