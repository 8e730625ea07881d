//! Where each task ran, tick by tick: the CPU history strips and migrations seen.
//!
//! Kept for every live task (2 to 16 bits a tick, as the machine's CPU ids need) so
//! switching the selection shows history
//! at once; forgotten as soon as a task is gone, so it never grows with churn.

use std::collections::HashMap;

use crate::collect::{Snapshot, TaskKey};

/// Ticks of history kept per task.
pub const HISTORY_TICKS: usize = 120;
// A slot's start and length are bytes.
const _: () = assert!(HISTORY_TICKS <= u8::MAX as usize);

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
    ring: Ring<'a>,
    start: usize,
    len: usize,
    decode: &'a [Option<u32>],
}

/// A task's ring of CPU codes, `bits` a tick (see `Rings`).
#[derive(Debug, Clone, Copy)]
struct Ring<'a> {
    bits: u8,
    bytes: &'a [u8],
}

impl Ring<'_> {
    fn get(&self, at: usize) -> u16 {
        code_at(self.bytes, self.bits, at)
    }
}

fn code_at(bytes: &[u8], bits: u8, at: usize) -> u16 {
    match bits {
        16 => {
            let b = bytes.get(at * 2..at * 2 + 2).unwrap_or(&[0, 0]);
            u16::from_le_bytes([b[0], b[1]])
        }
        _ => {
            let per_byte = 8 / usize::from(bits);
            let byte = bytes.get(at / per_byte).copied().unwrap_or(0);
            let shift = (at % per_byte) * usize::from(bits);
            u16::from((byte >> shift) & ((1u16 << bits) - 1) as u8)
        }
    }
}

fn set_code(bytes: &mut [u8], bits: u8, at: usize, code: u16) {
    match bits {
        16 => {
            if let Some(b) = bytes.get_mut(at * 2..at * 2 + 2) {
                b.copy_from_slice(&code.to_le_bytes());
            }
        }
        _ => {
            let per_byte = 8 / usize::from(bits);
            let shift = (at % per_byte) * usize::from(bits);
            let mask = (((1u16 << bits) - 1) as u8) << shift;
            if let Some(b) = bytes.get_mut(at / per_byte) {
                *b = (*b & !mask) | (((code as u8) << shift) & mask);
            }
        }
    }
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
            let code = ring.get((start + i) % HISTORY_TICKS);
            decode.get(usize::from(code)).unwrap_or(&None)
        })
    }
}

/// Where a task's history is in the rings (0 = unknown, n = CPU n-1), allocated once per
/// task slot and reused after the task is gone.
#[derive(Debug, Clone)]
struct Slot {
    /// The tick this task was last seen in; slots not seen in the latest tick are freed.
    seen: u64,
    migrations_seen: u64,
    start: u8,
    len: u8,
}

/// Every slot's ring, by slot index, `bits` a tick: as few as the CPU codes seen need
/// (2 bits up to 3 CPUs, then 4, 8, 16; Linux allows 8,192 CPUs), widened when a higher
/// CPU id is first seen. At a byte a tick the history of 10,000 tasks was 1.4 MB of a
/// 11.3 MB heap (heaptrack, 2 CPUs), where 2 bits take 0.35; at 272 bytes a task (two
/// bytes a tick and a fixed header) it had been 3.1 MB.
#[derive(Debug, Clone)]
struct Rings {
    bits: u8,
    bytes: Vec<u8>,
}

impl Default for Rings {
    fn default() -> Self {
        Rings {
            bits: 2,
            bytes: Vec::new(),
        }
    }
}

impl Rings {
    fn stride(bits: u8) -> usize {
        (HISTORY_TICKS * usize::from(bits)).div_ceil(8)
    }

    fn get(&self, slot: usize) -> Option<Ring<'_>> {
        let n = Rings::stride(self.bits);
        let bytes = self.bytes.get(slot * n..slot * n + n)?;
        Some(Ring {
            bits: self.bits,
            bytes,
        })
    }

    fn set(&mut self, slot: usize, at: usize, code: u16) {
        let mut bits = self.bits;
        while bits < 16 && u32::from(code) >= 1 << bits {
            bits *= 2;
        }
        if bits != self.bits {
            self.widen(bits);
        }
        let n = Rings::stride(self.bits);
        if let Some(r) = self.bytes.get_mut(slot * n..slot * n + n) {
            set_code(r, self.bits, at, code);
        }
    }

    /// Every ring again at `bits` a tick (at most three times in a run).
    fn widen(&mut self, bits: u8) {
        let (old, new) = (Rings::stride(self.bits), Rings::stride(bits));
        let slots = self.bytes.len() / old;
        let mut out = vec![0u8; slots * new];
        for s in 0..slots {
            for at in 0..HISTORY_TICKS {
                let code = code_at(&self.bytes[s * old..s * old + old], self.bits, at);
                set_code(&mut out[s * new..s * new + new], bits, at, code);
            }
        }
        self.bytes = out;
        self.bits = bits;
    }

    /// A ring for a new slot at the end.
    fn push(&mut self) {
        let n = Rings::stride(self.bits);
        self.bytes.resize(self.bytes.len() + n, 0);
    }

    fn reserve_exact(&mut self, slots: usize) {
        self.bytes.reserve_exact(slots * Rings::stride(self.bits));
    }
}

/// CPU history of every live task, updated in place: at 10,000 tasks a history per task
/// in its own growing buffer (a `VecDeque` each) took 10 MiB after two minutes and kept
/// the allocator busy every tick; slots in one vector, reused, stay flat.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    index: super::rates::KeyMap<u32>,
    slots: Vec<Slot>,
    rings: Rings,
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
        // 272 bytes a slot then, 25,000 tasks on a busy machine had grown the slots to
        // 13.7 MB (heaptrack), twice what they held.
        let live = self.slots.len() - self.free.len().min(self.slots.len());
        let wanted = self.slots.len() + n.saturating_sub(live);
        if wanted > self.slots.capacity() {
            let more = wanted + wanted / 8 - self.slots.len();
            self.slots.reserve_exact(more);
            self.rings.reserve_exact(more);
        }
        let exact = snap.events.tick().is_some_and(|e| e.interval_ns.is_some());
        for t in snap.tasks().filter(|t| t.stat_error.is_none()) {
            let cpu = if exact {
                // Exact: the CPU it spent most of the tick on, from the events; a tick it
                // did not run in (or whose figures are unknown) has none.
                super::events::of_task(&snap.events, t).and_then(|e| dominant_cpu(&e))
            } else {
                t.processor.map(u32::from)
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
                    };
                    let i = match self.free.pop() {
                        Some(i) => {
                            self.slots[i as usize] = fresh;
                            i as usize
                        }
                        None => {
                            self.slots.push(fresh);
                            self.rings.push();
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
            let (start, len) = (usize::from(slot.start), usize::from(slot.len));
            let last = match self.rings.get(i) {
                Some(r) if len > 0 => r.get((start + len - 1) % HISTORY_TICKS),
                _ => 0,
            };
            if last != 0 && code != 0 && last != code {
                slot.migrations_seen += 1;
            }
            // The oldest tick is overwritten once the ring is full.
            let at = (start + len) % HISTORY_TICKS;
            if len == HISTORY_TICKS {
                slot.start = ((start + 1) % HISTORY_TICKS) as u8;
            } else {
                slot.len += 1;
            }
            self.rings.set(i, at, code);
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
        let i = *self.index.get(key)? as usize;
        let slot = self.slots.get(i)?;
        Some(Track {
            cpus: History {
                ring: self.rings.get(i)?,
                start: usize::from(slot.start),
                len: usize::from(slot.len),
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
            && let Some(cpu) = t.processor.map(u32::from)
        {
            out.entry(cpu).or_default().push(t.key());
        }
    }
    out
}
