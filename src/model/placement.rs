//! Where each task ran, tick by tick: the CPU history strips and migrations seen.
//!
//! Kept for every live task (a few bytes a tick) so switching the selection shows history
//! at once; forgotten as soon as a task is gone, so it never grows with churn.

use std::collections::{HashMap, VecDeque};

use crate::collect::{Snapshot, TaskKey};

/// Ticks of history kept per task.
pub const HISTORY_TICKS: usize = 120;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Track {
    /// Oldest first; `None` where the CPU was not known that tick.
    pub cpus: VecDeque<Option<u32>>,
    /// Ticks where the last CPU differed from the tick before: a lower bound on real
    /// migrations (two moves within one tick look like none).
    pub migrations_seen: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Placement {
    tracks: HashMap<TaskKey, Track>,
}

impl Placement {
    /// Adds one tick. Tasks not in `snap` are dropped.
    pub fn advance(mut self, snap: &Snapshot) -> Placement {
        let mut next = HashMap::with_capacity(snap.task_count());
        for t in snap.tasks().filter(|t| t.stat_error.is_none()) {
            let mut track = self.tracks.remove(&t.key()).unwrap_or_default();
            if let (Some(Some(last)), Some(now)) = (track.cpus.back(), t.processor)
                && *last != now
            {
                track.migrations_seen += 1;
            }
            if track.cpus.len() == HISTORY_TICKS {
                track.cpus.pop_front();
            }
            track.cpus.push_back(t.processor);
            next.insert(t.key(), track);
        }
        Placement { tracks: next }
    }

    pub fn track(&self, key: &TaskKey) -> Option<&Track> {
        self.tracks.get(key)
    }

    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }
}

/// Tasks in state R by the CPU they last ran on: "runnable on CPU n" (R is runnable, not
/// necessarily running; two spinners on one CPU are both R there).
pub fn runnable_by_cpu(snap: &Snapshot) -> HashMap<u32, Vec<TaskKey>> {
    let mut out: HashMap<u32, Vec<TaskKey>> = HashMap::new();
    for t in snap.tasks() {
        if t.state == b'R'
            && let Some(cpu) = t.processor
        {
            out.entry(cpu).or_default().push(t.key());
        }
    }
    out
}
