//! Where each task ran, tick by tick: the CPU history strips and migrations seen.
//!
//! Kept for every live task (two bytes a tick) so switching the selection shows history
//! at once; forgotten as soon as a task is gone, so it never grows with churn.

use std::collections::HashMap;

use crate::collect::{Snapshot, TaskKey};

/// Ticks of history kept per task.
pub const HISTORY_TICKS: usize = 120;

/// One task's history as the panes read it: borrowed from `Placement`, cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Track<'a> {
    /// Oldest first; `None` where the CPU was not known that tick.
    pub cpus: History<'a>,
    /// Ticks where the last CPU differed from the tick before: a lower bound on real
    /// migrations (two moves within one tick look like none).
    pub migrations_seen: u64,
}

/// The CPUs of one task, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    ring: &'a [u16; HISTORY_TICKS],
    start: usize,
    len: usize,
    decode: &'a [Option<u32>],
}

impl<'a> History<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a Option<u32>> + 'a {
        let (ring, start, decode) = (self.ring, self.start, self.decode);
        (0..self.len).map(move |i| {
            let code = ring[(start + i) % HISTORY_TICKS];
            decode.get(usize::from(code)).unwrap_or(&None)
        })
    }
}

/// A task's history in a fixed ring of CPU codes (0 = unknown, n = CPU n-1): two bytes a
/// tick, allocated once per task slot and reused after the task is gone.
#[derive(Debug, Clone)]
struct Slot {
    /// The tick this task was last seen in; slots not seen in the latest tick are freed.
    seen: u64,
    migrations_seen: u64,
    start: usize,
    len: usize,
    ring: [u16; HISTORY_TICKS],
}

impl Slot {
    fn last(&self) -> Option<u16> {
        (self.len > 0).then(|| self.ring[(self.start + self.len - 1) % HISTORY_TICKS])
    }

    fn push(&mut self, code: u16) {
        if self.len == HISTORY_TICKS {
            self.ring[self.start] = code;
            self.start = (self.start + 1) % HISTORY_TICKS;
        } else {
            self.ring[(self.start + self.len) % HISTORY_TICKS] = code;
            self.len += 1;
        }
    }
}

/// CPU history of every live task, updated in place: at 10,000 tasks a history per task
/// in its own growing buffer (a `VecDeque` each) took 10 MiB after two minutes and kept
/// the allocator busy every tick; slots in one vector, reused, stay flat.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    index: super::rates::KeyMap<u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    tick: u64,
    /// `decode[code]`: the CPU a ring code stands for, borrowed by `History::iter`.
    decode: Vec<Option<u32>>,
}

impl Placement {
    /// Adds one tick. Tasks not in `snap` are dropped.
    pub fn advance(mut self, snap: &Snapshot) -> Placement {
        self.tick += 1;
        // Sized once for the tick: growing by doubling rehashes and copies mid-tick, which
        // set the peak RSS at 10,000 tasks.
        let n = snap.task_count();
        self.index.reserve(n.saturating_sub(self.index.len()));
        // Exactly what this tick needs and an eighth more, not `reserve`'s doubling: at
        // 272 bytes a slot, 25,000 tasks on a busy machine had grown the slots to 13.7 MB
        // (heaptrack), twice what they held.
        let live = self.slots.len() - self.free.len().min(self.slots.len());
        let wanted = self.slots.len() + n.saturating_sub(live);
        if wanted > self.slots.capacity() {
            self.slots
                .reserve_exact(wanted + wanted / 8 - self.slots.len());
        }
        let exact = snap.events.tick().is_some_and(|e| e.interval_ns.is_some());
        for t in snap.tasks().filter(|t| t.stat_error.is_none()) {
            let cpu = if exact {
                // Exact: the CPU it spent most of the tick on, from the events; a tick it
                // did not run in (or whose figures are unknown) has none.
                super::events::of_task(&snap.events, t).and_then(|e| dominant_cpu(&e))
            } else {
                t.processor
            };
            let code = self.encode(cpu);
            let i = match self.index.get(&t.key()) {
                Some(&i) => i as usize,
                None => {
                    let fresh = Slot {
                        seen: 0,
                        migrations_seen: 0,
                        start: 0,
                        len: 0,
                        ring: [0; HISTORY_TICKS],
                    };
                    let i = match self.free.pop() {
                        Some(i) => {
                            self.slots[i as usize] = fresh;
                            i as usize
                        }
                        None => {
                            self.slots.push(fresh);
                            self.slots.len() - 1
                        }
                    };
                    // Fewer than 2^32 tasks can exist: pid_max is at most 2^22.
                    self.index
                        .insert(t.key(), u32::try_from(i).unwrap_or(u32::MAX));
                    i
                }
            };
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            slot.seen = self.tick;
            if let Some(last) = slot.last()
                && last != 0
                && code != 0
                && last != code
            {
                slot.migrations_seen += 1;
            }
            slot.push(code);
        }
        let (tick, slots, free) = (self.tick, &self.slots, &mut self.free);
        self.index.retain(|_, &mut i| {
            let alive = slots.get(i as usize).is_some_and(|s| s.seen == tick);
            if !alive {
                free.push(i);
            }
            alive
        });
        self
    }

    /// Ring code of a CPU; CPU ids beyond what two bytes hold (Linux allows 8,192 CPUs)
    /// would read as unknown.
    fn encode(&mut self, cpu: Option<u32>) -> u16 {
        let Some(code) = cpu.and_then(|c| u16::try_from(c.checked_add(1)?).ok()) else {
            return 0;
        };
        while self.decode.len() <= usize::from(code) {
            let n = self.decode.len() as u32;
            self.decode.push(n.checked_sub(1));
        }
        code
    }

    pub fn track(&self, key: &TaskKey) -> Option<Track<'_>> {
        let slot = self.slots.get(*self.index.get(key)? as usize)?;
        Some(Track {
            cpus: History {
                ring: &slot.ring,
                start: slot.start,
                len: slot.len,
                decode: &self.decode,
            },
            migrations_seen: slot.migrations_seen,
        })
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// The CPU a task spent most of the tick on (the lowest id on a tie).
pub fn dominant_cpu(e: &crate::collect::events::TaskEvents) -> Option<u32> {
    e.cpu_ns
        .as_deref()?
        .iter()
        .filter(|(_, ns)| *ns > 0)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(cpu, _)| *cpu)
}

/// Cells of a strip `width` wide showing where a task ran in one tick by time share: each
/// CPU's mark for its share of the time the task ran (in CPU order; largest remainders
/// round, so a CPU with any time gets a cell only if its share earns one), all `None` when
/// it did not run. Shares of the time run, not of the tick: a thread that runs 0.4 % of the
/// tick, split between two CPUs, still shows both (its CPU% says how much it ran).
pub fn share_strip(
    e: &crate::collect::events::TaskEvents,
    width: usize,
) -> Option<Vec<Option<u32>>> {
    let cpus = e.cpu_ns.as_deref()?;
    let mut by_cpu: Vec<(u32, u64)> = cpus.iter().copied().filter(|c| c.1 > 0).collect();
    by_cpu.sort_unstable_by_key(|c| c.0);
    let ran: u128 = by_cpu.iter().map(|c| u128::from(c.1)).sum();
    if ran == 0 || width == 0 {
        return Some(vec![None; width]);
    }
    let mut cells: Vec<(u32, usize, u128)> = by_cpu
        .iter()
        .map(|&(cpu, ns)| {
            let x = u128::from(ns) * width as u128;
            (cpu, (x / ran) as usize, x % ran)
        })
        .collect();
    let given: usize = cells.iter().map(|c| c.1).sum();
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by(|&a, &b| cells[b].2.cmp(&cells[a].2));
    for i in order.into_iter().take(width.saturating_sub(given)) {
        cells[i].1 += 1;
    }
    let mut out: Vec<Option<u32>> = cells
        .iter()
        .flat_map(|&(cpu, n, _)| std::iter::repeat_n(Some(cpu), n))
        .take(width)
        .collect();
    out.resize(width, None);
    Some(out)
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
