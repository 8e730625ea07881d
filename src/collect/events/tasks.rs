//! One tick's per-task event figures, packed: a key index sorted by task, and each task's
//! figures as varints in one byte buffer. A lookup is a binary search and a decode.
//!
//! Why packed: a tick is alive twice (the display's and the one the collector builds), and
//! every task has figures when threads wake. At 10,000 waking threads a sorted vector of
//! `(TaskKey, TaskEvents)` was 216 bytes a task plus a `Vec` of CPU times each: 4.3 MB of
//! the 16 MB heap peak, and 1.3 MB more in the CPU vectors (heaptrack). Most figures are
//! zero or small (no waker, one or two CPUs, one off-CPU reason), so a task takes 16 bytes
//! of index and about 40 of figures.
//! (Before that, a `HashMap` had 16,384 buckets of 216 bytes, rehashed while filled.)

use super::{CpuNs, TaskEvents, Waker};
use crate::collect::snapshot::{Comm, TaskKey};

/// A task's key and where its figures start, 16 bytes (a `(TaskKey, u32)` is 24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tid: u32,
    at: u32,
    start_ticks: u64,
}

impl Entry {
    fn key(&self) -> TaskKey {
        TaskKey {
            tid: self.tid,
            start_ticks: self.start_ticks,
        }
    }
}

fn order(k: &TaskKey) -> (u32, u64) {
    (k.tid, k.start_ticks)
}

#[derive(Debug, Clone, Default)]
pub struct EventTasks {
    index: Vec<Entry>,
    bytes: Vec<u8>,
}

/// Fills an `EventTasks` in any order; `finish` sorts it.
#[derive(Debug, Default)]
pub struct Builder {
    index: Vec<Entry>,
    bytes: Vec<u8>,
}

impl Builder {
    /// Bytes a task's figures take, about, when nothing better is known (38 at 10,000
    /// waking threads; 11 for a task with counters only).
    pub const BYTES_A_TASK: usize = 40;

    /// Room for `tasks` tasks and `bytes` of their figures (grown if they take more).
    pub fn with_capacity(tasks: usize, bytes: usize) -> Self {
        Builder {
            index: Vec::with_capacity(tasks),
            bytes: Vec::with_capacity(bytes),
        }
    }

    pub fn push(&mut self, key: TaskKey, e: &TaskEvents) {
        // A tick's figures past 4 GiB cannot happen (pid_max tasks of at most ~400 bytes
        // each); were it to, the rest are left out rather than misread.
        let Ok(at) = u32::try_from(self.bytes.len()) else {
            return;
        };
        encode(&mut self.bytes, e);
        self.index.push(Entry {
            tid: key.tid,
            at,
            start_ticks: key.start_ticks,
        });
    }

    /// Sorted by key; a key given twice is kept once (which of the two is not said: a
    /// batched read of the kernel map repeats an entry only when an update moved it during
    /// the read, and both readings are of that one pass).
    pub fn finish(self) -> EventTasks {
        let Builder { mut index, bytes } = self;
        // In place: a stable sort's scratch is half the index again.
        index.sort_unstable_by_key(|e| order(&e.key()));
        index.dedup_by_key(|e| order(&e.key()));
        let mut t = EventTasks { index, bytes };
        // Shrunk only when much is spare: a shrink copies (the old block and the new one
        // alive together), and the room asked for is close to what is used.
        if t.index.capacity() > t.index.len() + t.index.len() / 4 + 64 {
            t.index.shrink_to_fit();
        }
        // A repeated task's figures are left in the buffer; its size is what was read.
        if t.bytes.capacity() > t.bytes.len() + t.bytes.len() / 4 + 1024 {
            t.bytes.shrink_to_fit();
        }
        t
    }
}

impl PartialEq for EventTasks {
    /// The same tasks with the same figures (however they are laid out).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl EventTasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// From entries in any order; a key given twice is kept once (see `Builder::finish`).
    pub fn from_unsorted(v: Vec<(TaskKey, TaskEvents)>) -> Self {
        let mut b = Builder::with_capacity(v.len(), v.len() * Builder::BYTES_A_TASK);
        for (k, e) in &v {
            b.push(*k, e);
        }
        b.finish()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn find(&self, key: &TaskKey) -> Result<usize, usize> {
        self.index
            .binary_search_by_key(&order(key), |e| order(&e.key()))
    }

    fn decode_at(&self, i: usize) -> TaskEvents {
        let at = self.index[i].at as usize;
        // Only `encode` wrote these bytes: a decode cannot fail.
        decode(self.bytes.get(at..).unwrap_or_default())
    }

    /// `key`'s figures, decoded (a copy).
    pub fn get(&self, key: &TaskKey) -> Option<TaskEvents> {
        self.find(key).ok().map(|i| self.decode_at(i))
    }

    /// `key`'s waits in the tick and their p99 and max, read from the front of its record
    /// only. The table asks this of every task each tick (a process row's LAT cells are
    /// its worst thread's): the whole decode, two or three times a task, was 31 % of the
    /// display thread's CPU at 10,000 waking threads (perf, privileged path).
    pub fn latency(&self, key: &TaskKey) -> Option<Latency> {
        let i = self.find(key).ok()?;
        let at = self.index[i].at as usize;
        Some(decode_latency(self.bytes.get(at..).unwrap_or_default()))
    }

    pub fn contains_key(&self, key: &TaskKey) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`'s figures (replacing any). O(n), but O(1) when keys come in order, as
    /// in fixtures. A replaced task's old figures stay in the buffer until `retain`.
    pub fn insert(&mut self, key: TaskKey, e: TaskEvents) {
        let Ok(at) = u32::try_from(self.bytes.len()) else {
            return;
        };
        encode(&mut self.bytes, &e);
        let entry = Entry {
            tid: key.tid,
            at,
            start_ticks: key.start_ticks,
        };
        match self.find(&key) {
            Ok(i) => self.index[i] = entry,
            Err(i) => self.index.insert(i, entry),
        }
    }

    /// Keeps the tasks `keep` says yes to (and only their figures).
    pub fn retain(&mut self, mut keep: impl FnMut(&TaskKey) -> bool) {
        let mut b = Builder::default();
        for (k, e) in self.iter() {
            if keep(&k) {
                b.push(k, &e);
            }
        }
        *self = b.finish();
    }

    /// In key order, decoded.
    pub fn iter(&self) -> impl Iterator<Item = (TaskKey, TaskEvents)> + '_ {
        (0..self.index.len()).map(|i| (self.index[i].key(), self.decode_at(i)))
    }

    /// In key order.
    pub fn keys(&self) -> impl Iterator<Item = TaskKey> + '_ {
        self.index.iter().map(Entry::key)
    }

    /// Bytes the packed figures take (not counting the index).
    pub fn figure_bytes(&self) -> usize {
        self.bytes.len()
    }
}

impl FromIterator<(TaskKey, TaskEvents)> for EventTasks {
    fn from_iter<I: IntoIterator<Item = (TaskKey, TaskEvents)>>(it: I) -> Self {
        let mut b = Builder::default();
        for (k, e) in it {
            b.push(k, &e);
        }
        b.finish()
    }
}

// The packed form: a byte of which optional parts follow, the counters, then those parts.
const P50: u8 = 1;
const P99: u8 = 1 << 1;
const MAX: u8 = 1 << 2;
const MAX_AT: u8 = 1 << 3;
const CPUS: u8 = 1 << 4;
const WAKER: u8 = 1 << 5;

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads what `put` wrote; past the end (never, for our own bytes) reads zeros.
fn take(b: &mut &[u8]) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some((&byte, rest)) = b.split_first() {
        *b = rest;
        if shift < 64 {
            v |= u64::from(byte & 0x7f) << shift;
        }
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

fn take_u32(b: &mut &[u8]) -> u32 {
    u32::try_from(take(b)).unwrap_or(u32::MAX)
}

fn encode(out: &mut Vec<u8>, e: &TaskEvents) {
    let mut flags = 0u8;
    for (bit, v) in [
        (P50, e.p50_ns.is_some()),
        (P99, e.p99_ns.is_some()),
        (MAX, e.max_ns.is_some()),
        (MAX_AT, e.max_at_unix_ns.is_some()),
        (CPUS, e.cpu_ns.is_some()),
        (WAKER, e.woken_by.is_some()),
    ] {
        if v {
            flags |= bit;
        }
    }
    out.push(flags);
    for v in [
        e.waits,
        e.migrations,
        e.voluntary,
        e.involuntary,
        e.wakings,
        e.irq_wakings,
    ] {
        put(out, u64::from(v));
    }
    put(out, e.other_cpu_ns);
    for v in [e.p50_ns, e.p99_ns, e.max_ns, e.max_at_unix_ns]
        .into_iter()
        .flatten()
    {
        put(out, v);
    }
    if let Some(cpus) = &e.cpu_ns {
        out.push(cpus.len() as u8);
        for &(cpu, ns) in cpus.iter() {
            put(out, u64::from(cpu));
            put(out, ns);
        }
    }
    // The off-CPU split: a bit for each reason with time, then those times.
    let mut mask = 0u8;
    for (i, &ns) in e.off_ns.iter().enumerate() {
        if ns > 0 {
            mask |= 1 << i;
        }
    }
    out.push(mask);
    for &ns in e.off_ns.iter().filter(|&&ns| ns > 0) {
        put(out, ns);
    }
    if let Some(w) = &e.woken_by {
        put(out, u64::from(w.tid));
        let name = w.comm.as_bytes();
        put(out, name.len() as u64);
        out.extend_from_slice(name);
    }
}

/// A task's waits and their p99 and max (as in its [`TaskEvents`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    pub waits: u32,
    pub p99_ns: Option<u64>,
    pub max_ns: Option<u64>,
}

/// The front of a record as `decode` reads it, up to the max.
fn decode_latency(mut b: &[u8]) -> Latency {
    let b = &mut b;
    let flags = b.first().copied().unwrap_or(0);
    *b = b.get(1..).unwrap_or_default();
    let waits = take_u32(b);
    // migrations, voluntary, involuntary, wakings, irq_wakings, other_cpu_ns.
    for _ in 0..6 {
        take(b);
    }
    if flags & P50 != 0 {
        take(b);
    }
    let p99_ns = (flags & P99 != 0).then(|| take(b));
    let max_ns = (flags & MAX != 0).then(|| take(b));
    Latency {
        waits,
        p99_ns,
        max_ns,
    }
}

fn decode(mut b: &[u8]) -> TaskEvents {
    let b = &mut b;
    let flags = b.first().copied().unwrap_or(0);
    *b = b.get(1..).unwrap_or_default();
    let mut e = TaskEvents {
        waits: take_u32(b),
        migrations: take_u32(b),
        voluntary: take_u32(b),
        involuntary: take_u32(b),
        wakings: take_u32(b),
        irq_wakings: take_u32(b),
        other_cpu_ns: take(b),
        ..TaskEvents::default()
    };
    let opt = |bit: u8, b: &mut &[u8]| (flags & bit != 0).then(|| take(b));
    e.p50_ns = opt(P50, b);
    e.p99_ns = opt(P99, b);
    e.max_ns = opt(MAX, b);
    e.max_at_unix_ns = opt(MAX_AT, b);
    if flags & CPUS != 0 {
        let n = b.first().copied().unwrap_or(0);
        *b = b.get(1..).unwrap_or_default();
        let mut cpus = CpuNs::default();
        for _ in 0..n {
            let (cpu, ns) = (take_u32(b), take(b));
            cpus.add(cpu, ns);
        }
        e.cpu_ns = Some(cpus);
    }
    let mask = b.first().copied().unwrap_or(0);
    *b = b.get(1..).unwrap_or_default();
    for (i, slot) in e.off_ns.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *slot = take(b);
        }
    }
    if flags & WAKER != 0 {
        let tid = take_u32(b);
        let len = (take(b) as usize).min(b.len());
        let (name, rest) = b.split_at(len);
        *b = rest;
        e.woken_by = Some(Waker {
            tid,
            comm: Comm::new(name),
        });
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(tid: u32, start: u64) -> TaskKey {
        TaskKey {
            tid,
            start_ticks: start,
        }
    }

    fn ev(waits: u32) -> TaskEvents {
        TaskEvents {
            waits,
            ..TaskEvents::default()
        }
    }

    #[test]
    fn lookups_insertions_and_duplicates_behave_as_a_map() {
        let mut t = EventTasks::from_unsorted(vec![
            (key(30, 1), ev(3)),
            (key(10, 1), ev(1)),
            (key(20, 1), ev(2)),
            (key(10, 1), ev(9)),
        ]);
        assert_eq!(t.len(), 3);
        // One of the two readings.
        assert!(matches!(t.get(&key(10, 1)).map(|e| e.waits), Some(1 | 9)));
        assert_eq!(t.get(&key(10, 2)), None, "same TID, another task");
        assert!(t.contains_key(&key(20, 1)));
        t.insert(key(15, 1), ev(5));
        t.insert(key(30, 1), ev(7));
        t.insert(key(5, 1), ev(5));
        let mut all: Vec<(u32, u32)> = t.iter().map(|(k, e)| (k.tid, e.waits)).collect();
        assert_eq!(all.len(), 5);
        assert!(matches!(all[1], (10, 1 | 9)), "{all:?}");
        all.remove(1);
        assert_eq!(all, vec![(5, 5), (15, 5), (20, 2), (30, 7)]);
        t.retain(|k| k.tid != 15);
        assert_eq!(
            t.keys().map(|k| k.tid).collect::<Vec<_>>(),
            vec![5, 10, 20, 30]
        );
        assert_eq!(t.get(&key(30, 1)).map(|e| e.waits), Some(7));
    }

    #[test]
    fn built_to_size_sorted_and_small() {
        let v: Vec<(TaskKey, TaskEvents)> =
            (0..10_000u32).rev().map(|i| (key(i, 0), ev(i))).collect();
        let t = EventTasks::from_unsorted(v);
        assert!(t.index.capacity() <= 10_000 + 10_000 / 4 + 64);
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        assert!(t.keys().zip(t.keys().skip(1)).all(|(a, b)| a < b));
        // A flags byte, six counters, other CPUs' time and an empty off-CPU mask: at most
        // 11 bytes here (waits up to 9,999 take two).
        assert!(t.bytes.len() <= 10_000 * 11, "{}", t.bytes.len());
    }

    #[test]
    fn cpu_times_beyond_the_inline_room_are_left_to_the_caller() {
        let (c, rest) = CpuNs::from_pairs((0..8u32).rev().map(|c| (c, 10)));
        assert_eq!(c.len(), CpuNs::CAP);
        assert!(c.windows(2).all(|w| w[0].0 < w[1].0), "{c:?}");
        assert_eq!(rest, 10 * (8 - CpuNs::CAP as u64));
        let mut c = c;
        assert!(c.add(c[0].0, 5), "a CPU already held takes more time");
    }

    fn any_events() -> impl Strategy<Value = TaskEvents> {
        (
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
            (any::<u32>(), any::<u32>(), any::<u64>()),
            (
                any::<Option<u64>>(),
                any::<Option<u64>>(),
                any::<Option<u64>>(),
                any::<Option<u64>>(),
            ),
            proptest::option::of(proptest::collection::vec(
                (any::<u32>(), any::<u64>()),
                0..=CpuNs::CAP,
            )),
            proptest::array::uniform6(prop_oneof![Just(0u64), any::<u64>()]),
            proptest::option::of((any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40))),
        )
            .prop_map(
                |(
                    (waits, migrations, voluntary, involuntary),
                    (wakings, irq, other),
                    q,
                    cpus,
                    off,
                    w,
                )| {
                    TaskEvents {
                        waits,
                        p50_ns: q.0,
                        p99_ns: q.1,
                        max_ns: q.2,
                        max_at_unix_ns: q.3,
                        cpu_ns: cpus.map(|v| CpuNs::from_pairs(v).0),
                        other_cpu_ns: other,
                        migrations,
                        voluntary,
                        involuntary,
                        wakings,
                        irq_wakings: irq,
                        woken_by: w.map(|(tid, name)| Waker {
                            tid,
                            comm: Comm::new(&name),
                        }),
                        off_ns: off,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn any_figures_come_back_as_they_went_in(
            all in proptest::collection::vec((any::<u32>(), any::<u64>(), any_events()), 0..50)
        ) {
            let mut want: Vec<(TaskKey, TaskEvents)> = Vec::new();
            for (tid, start, e) in &all {
                let k = key(*tid, *start);
                if !want.iter().any(|(w, _)| *w == k) {
                    want.push((k, e.clone()));
                }
            }
            let t = EventTasks::from_unsorted(want.clone());
            want.sort_by_key(|(k, _)| order(k));
            let got: Vec<(TaskKey, TaskEvents)> = t.iter().collect();
            prop_assert_eq!(got, want.clone());
            for (k, e) in &want {
                prop_assert_eq!(t.get(k), Some(e.clone()));
                // The front alone reads the same waits, p99 and max.
                let front = Latency { waits: e.waits, p99_ns: e.p99_ns, max_ns: e.max_ns };
                prop_assert_eq!(t.latency(k), Some(front));
            }
        }
    }
}
