//! Rates from two snapshots: CPU %, context switches per second, per-CPU usage.
//!
//! History is matched by `TaskKey` (TID + start time), so a TID the kernel handed to a new
//! task never inherits the old one's counters. Counters that seem to go backwards saturate
//! to zero instead of wrapping into huge numbers.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::collect::{Snapshot, TaskInfo, TaskKey};

/// A map keyed by task identity, with a hasher made for two integers: std's SipHash
/// (resistant to chosen keys, which TIDs are not) cost more than the lookups around it,
/// several times per task per tick.
pub type KeyMap<V> = HashMap<TaskKey, V, BuildHasherDefault<KeyHasher>>;

/// The rates of every task, stored packed: each rate an `f64` with NaN for unknown
/// (`None`), 56 bytes a task where `Option<f64>`s took 112. At 10,000 tasks the map was
/// 2.1 MB, the biggest thing in the /proc path's heap (heaptrack); now 1.2. A rate is
/// never NaN (every division is guarded), so NaN means only unknown.
#[derive(Debug, Clone, Default)]
pub struct Rates(KeyMap<Packed>);

/// One task's rates as `Rates` stores them (see there).
#[derive(Debug, Clone, Copy)]
struct Packed([f64; 7]);

impl Packed {
    /// Where `of` puts the storage I/O rates (`set_io` fills them later in a tick).
    const IO_READ: usize = 5;
    const IO_WRITE: usize = 6;

    fn of(r: &TaskRate) -> Packed {
        let f = |v: Option<f64>| v.unwrap_or(f64::NAN);
        Packed([
            f(r.cpu_percent),
            f(r.switches_per_sec),
            f(r.voluntary_per_sec),
            f(r.involuntary_per_sec),
            f(r.wait_percent),
            f(r.io_read_per_sec),
            f(r.io_write_per_sec),
        ])
    }

    fn rate(&self) -> TaskRate {
        let g = |v: f64| (!v.is_nan()).then_some(v);
        let [cpu, sw, vol, inv, wait, ior, iow] = self.0;
        TaskRate {
            cpu_percent: g(cpu),
            switches_per_sec: g(sw),
            voluntary_per_sec: g(vol),
            involuntary_per_sec: g(inv),
            wait_percent: g(wait),
            io_read_per_sec: g(ior),
            io_write_per_sec: g(iow),
        }
    }
}

impl Rates {
    pub fn with_capacity(n: usize) -> Rates {
        Rates(KeyMap::with_capacity_and_hasher(n, Default::default()))
    }

    pub fn get(&self, key: &TaskKey) -> Option<TaskRate> {
        self.0.get(key).map(Packed::rate)
    }

    pub fn insert(&mut self, key: TaskKey, rate: TaskRate) {
        self.0.insert(key, Packed::of(&rate));
    }

    /// Sets a task's storage I/O rates; false when the task has no rates.
    pub fn set_io(&mut self, key: &TaskKey, read_per_sec: f64, write_per_sec: f64) -> bool {
        match self.0.get_mut(key) {
            Some(p) => {
                p.0[Packed::IO_READ] = read_per_sec;
                p.0[Packed::IO_WRITE] = write_per_sec;
                true
            }
            None => false,
        }
    }

    pub fn values(&self) -> impl Iterator<Item = TaskRate> + '_ {
        self.0.values().map(Packed::rate)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&TaskKey, TaskRate)> + '_ {
        self.0.iter().map(|(k, p)| (k, p.rate()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn contains_key(&self, key: &TaskKey) -> bool {
        self.0.contains_key(key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn clear(&mut self) {
        self.0.clear();
    }

    fn capacity(&self) -> usize {
        self.0.capacity()
    }

    fn shrink_to(&mut self, n: usize) {
        self.0.shrink_to(n);
    }

    fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }
}

impl PartialEq for Rates {
    fn eq(&self, other: &Rates) -> bool {
        self.len() == other.len() && self.iter().all(|(k, r)| other.get(k) == Some(r))
    }
}

impl Extend<(TaskKey, TaskRate)> for Rates {
    fn extend<I: IntoIterator<Item = (TaskKey, TaskRate)>>(&mut self, it: I) {
        for (k, r) in it {
            self.insert(k, r);
        }
    }
}

impl FromIterator<(TaskKey, TaskRate)> for Rates {
    fn from_iter<I: IntoIterator<Item = (TaskKey, TaskRate)>>(it: I) -> Self {
        let mut out = Rates::default();
        out.extend(it);
        out
    }
}

/// Multiply-rotate hashing of the key's integers (the scheme of rustc's FxHasher).
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl KeyHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(Self::K);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }
    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TaskRate {
    /// 100 % = one CPU for the whole interval. Never above 100 for one task.
    pub cpu_percent: Option<f64>,
    /// Voluntary + involuntary context switches per second: from `status` where both scans
    /// read it, else from schedstat's timeslices (read for every task every tick).
    pub switches_per_sec: Option<f64>,
    /// Switches because the task blocked (waited for something), per second.
    pub voluntary_per_sec: Option<f64>,
    /// Switches because the scheduler took the CPU away (preemption), per second.
    pub involuntary_per_sec: Option<f64>,
    /// Time spent runnable but waiting for a CPU, as % of the interval (schedstat).
    pub wait_percent: Option<f64>,
    /// Storage bytes read and written per second (`/proc/TID/io`), where both scans read
    /// it; filled from [`io_rates`] by the model.
    pub io_read_per_sec: Option<f64>,
    pub io_write_per_sec: Option<f64>,
}

/// Rates for every task of `cur`, keyed by identity. Tasks with no usable history get
/// `None` fields, except tasks born during the interval, whose whole run time counts.
/// Without history at all (the first snapshot, or one without schedstat) the map is
/// empty: every task's rates are unknown.
pub fn task_rates(prev: Option<&Snapshot>, cur: &Snapshot) -> Rates {
    let mut out = Rates::with_capacity(cur.task_count());
    task_rates_into(prev, cur, &mut out);
    out
}

/// As [`task_rates`], into a map that is cleared first and keeps its allocation: at
/// 10,000 tasks a new one each tick was a fresh 1.5 MiB mapping, page faults and all.
pub fn task_rates_into(prev: Option<&Snapshot>, cur: &Snapshot, out: &mut Rates) {
    out.clear();
    let tasks = cur.task_count();
    if out.capacity() > 4 * tasks + 1024 {
        // Far fewer tasks than it was sized for: give the memory back.
        out.shrink_to(2 * tasks);
    }
    // No history, or history without schedstat (the quick first pass): every rate is
    // unknown, which a task missing from the map already reads as (`get` gives `None`,
    // every reader takes that as all-unknown). An entry for each task cost the first
    // frame at 50,000 threads about 20 ms: the inserts, and a lookup missing the cache
    // per task and per row (perf).
    let Some(prev) = prev.filter(|p| p.schedstat_read && cur.schedstat_read) else {
        return;
    };
    out.reserve(tasks);
    let elapsed_ns = cur.boot_ns.saturating_sub(prev.boot_ns);
    // Each task's previous self is looked up in its own process's previous task list
    // (processes are in TGID order, tasks mostly in TID order), not in a map of every
    // task: at 10,000 tasks that map was 410 KB at the peak of every tick (heaptrack).
    let in_order = prev.processes.windows(2).all(|w| w[0].tgid < w[1].tgid);
    for p in &cur.processes {
        let q = if in_order {
            prev.processes
                .binary_search_by_key(&p.tgid, |q| q.tgid)
                .ok()
                .map(|i| &prev.processes[i])
        } else {
            prev.processes.iter().find(|q| q.tgid == p.tgid)
        };
        let before = q.map(|q| Before::of(&q.tasks));
        for t in &p.tasks {
            let rate = if t.stat_error.is_some() || elapsed_ns == 0 {
                TaskRate::default()
            } else {
                match before.as_ref().and_then(|b| b.get(t)) {
                    Some(p) => {
                        let per_sec = |d: u64| d as f64 * 1e9 / elapsed_ns as f64;
                        let sw = switches_delta(p, t);
                        TaskRate {
                            cpu_percent: Some(percent(cpu_ns_delta(p, t, cur.clk_tck), elapsed_ns)),
                            switches_per_sec: sw
                                .map(|(v, i)| v + i)
                                .or_else(|| timeslices_delta(p, t))
                                .map(per_sec),
                            voluntary_per_sec: sw.map(|(v, _)| per_sec(v)),
                            involuntary_per_sec: sw.map(|(_, i)| per_sec(i)),
                            wait_percent: wait_delta(p, t).map(|d| percent(d, elapsed_ns)),
                            ..TaskRate::default()
                        }
                    }
                    None => born_during(prev, cur, t),
                }
            };
            out.insert(t.key(), rate);
        }
    }
}

/// One process's tasks in the previous snapshot, to find a task's previous self: by
/// binary search when they are in TID order (as scans list them), else by a map of that
/// process's tasks alone.
enum Before<'a> {
    Sorted(&'a [TaskInfo]),
    Map(KeyMap<&'a TaskInfo>),
}

impl<'a> Before<'a> {
    fn of(tasks: &'a [TaskInfo]) -> Self {
        if tasks.windows(2).all(|w| w[0].tid < w[1].tid) {
            Before::Sorted(tasks)
        } else {
            Before::Map(tasks.iter().map(|t| (t.key(), t)).collect())
        }
    }

    /// `t`'s previous self (same TID and start time), if it was read.
    fn get(&self, t: &TaskInfo) -> Option<&'a TaskInfo> {
        let found = match self {
            Before::Sorted(tasks) => tasks
                .binary_search_by_key(&t.tid, |p| p.tid)
                .ok()
                .map(|i| &tasks[i]),
            Before::Map(m) => m.get(&t.key()).copied(),
        };
        found.filter(|p| p.key() == t.key() && p.stat_error.is_none())
    }
}

/// Storage I/O of one task per second, over the interval between two snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IoRate {
    pub read_bytes_per_sec: f64,
    pub write_bytes_per_sec: f64,
}

/// I/O rates of the tasks whose `io` both snapshots read (matched by identity): empty when
/// the current one read none, so a tick that does not ask for I/O pays one pass over its
/// tasks and no map.
pub fn io_rates(prev: Option<&Snapshot>, cur: &Snapshot) -> KeyMap<IoRate> {
    let mut out = KeyMap::default();
    let Some(prev) = prev else { return out };
    let elapsed_ns = cur.boot_ns.saturating_sub(prev.boot_ns);
    if elapsed_ns == 0 || cur.processes.iter().all(|p| p.task_io.is_empty()) {
        return out;
    }
    let io = |s: &Snapshot| -> KeyMap<crate::collect::TaskIo> {
        s.processes
            .iter()
            .flat_map(|p| {
                p.tasks
                    .iter()
                    .filter_map(move |t| Some((t.key(), *p.io_of(t.tid)?.as_ref().ok()?)))
            })
            .collect()
    };
    let before = io(prev);
    let per_sec = |d: u64| d as f64 * 1e9 / elapsed_ns as f64;
    for (key, now) in io(cur) {
        if let Some(then) = before.get(&key) {
            out.insert(
                key,
                IoRate {
                    read_bytes_per_sec: per_sec(now.read_bytes.saturating_sub(then.read_bytes)),
                    write_bytes_per_sec: per_sec(now.write_bytes.saturating_sub(then.write_bytes)),
                },
            );
        }
    }
    out
}

/// A task that started after the previous scan ran only inside this interval, so its whole
/// run time is this interval's, spread over its own lifetime.
fn born_during(prev: &Snapshot, cur: &Snapshot, t: &TaskInfo) -> TaskRate {
    let tick_ns = 1_000_000_000 / cur.clk_tck.max(1);
    let start_ns = t.start_ticks.saturating_mul(tick_ns);
    if start_ns < prev.boot_ns {
        // It existed before but we did not see it (unreadable then): no honest rate.
        return TaskRate::default();
    }
    let lifetime_ns = cur.boot_ns.saturating_sub(start_ns).max(tick_ns);
    TaskRate {
        cpu_percent: Some(percent(task_cpu_ns(t, cur.clk_tck), lifetime_ns)),
        wait_percent: t.schedstat.ok().map(|s| percent(s.wait_ns, lifetime_ns)),
        ..TaskRate::default()
    }
}

fn percent(cpu_ns: u64, elapsed_ns: u64) -> f64 {
    if elapsed_ns == 0 {
        return 0.0;
    }
    (cpu_ns as f64 * 100.0 / elapsed_ns as f64).clamp(0.0, 100.0)
}

/// CPU time in ns: schedstat's exact run time where the kernel keeps it, else ticks.
/// A kernel without CONFIG_SCHED_INFO reports `0 0 0`, which we must not read as idle.
pub fn task_cpu_ns(t: &TaskInfo, clk_tck: u64) -> u64 {
    let ticks = t.utime_ticks + t.stime_ticks;
    match t.schedstat {
        Ok(s) if s.run_ns > 0 || ticks == 0 => s.run_ns,
        _ => ticks.saturating_mul(1_000_000_000 / clk_tck.max(1)),
    }
}

fn cpu_ns_delta(prev: &TaskInfo, cur: &TaskInfo, clk_tck: u64) -> u64 {
    match (prev.schedstat, cur.schedstat) {
        (Ok(a), Ok(b)) if b.run_ns > 0 => b.run_ns.saturating_sub(a.run_ns),
        _ => task_cpu_ns(cur, clk_tck).saturating_sub(task_cpu_ns(prev, clk_tck)),
    }
}

/// (voluntary, involuntary) switches over the interval, from `status` read in both scans.
fn switches_delta(prev: &TaskInfo, cur: &TaskInfo) -> Option<(u64, u64)> {
    let a = prev.detail()?.as_ref().ok()?;
    let b = cur.detail()?.as_ref().ok()?;
    Some((
        b.voluntary_switches.saturating_sub(a.voluntary_switches),
        b.involuntary_switches
            .saturating_sub(a.involuntary_switches),
    ))
}

/// schedstat's third field counts the times the task was given a CPU; each is paired with
/// one switch away from it, so over an interval the two counts differ by at most one. It is
/// read for every task every tick, so a process row's sum over its threads needs no
/// `status` read per thread.
fn timeslices_delta(prev: &TaskInfo, cur: &TaskInfo) -> Option<u64> {
    match (prev.schedstat, cur.schedstat) {
        (Ok(a), Ok(b)) if b.timeslices > 0 => Some(b.timeslices.saturating_sub(a.timeslices)),
        _ => None,
    }
}

/// Run-queue wait over the interval. A kernel without schedstat reports zeros forever,
/// which would read as "never waits": only trust it when it has counted something.
fn wait_delta(prev: &TaskInfo, cur: &TaskInfo) -> Option<u64> {
    let (a, b) = (prev.schedstat.ok()?, cur.schedstat.ok()?);
    if b.run_ns == 0 && b.wait_ns == 0 {
        return None;
    }
    Some(b.wait_ns.saturating_sub(a.wait_ns))
}

/// Busy % of each online CPU over the interval, by CPU id. CPUs that came online since the
/// previous scan get `None` until they have a history.
pub fn cpu_usage(prev: Option<&Snapshot>, cur: &Snapshot) -> Vec<(u32, Option<f64>)> {
    // The quick first pass is followed within milliseconds by the first full scan: an
    // interval of a tick or two of /proc/stat, too short to say anything. Unknown instead.
    let prev = prev.filter(|p| p.schedstat_read && cur.schedstat_read);
    cur.system
        .cpus
        .iter()
        .map(|c| {
            let usage = prev
                .and_then(|p| p.system.cpus.iter().find(|pc| pc.id == c.id))
                .and_then(|pc| {
                    let total = c.times.total().saturating_sub(pc.times.total());
                    let busy = c.times.busy().saturating_sub(pc.times.busy());
                    (total > 0).then(|| (busy as f64 * 100.0 / total as f64).clamp(0.0, 100.0))
                });
            (c.id, usage)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hasher_tells_keys_apart() {
        use std::collections::HashSet;
        let hash = |tid: u32, start_ticks: u64| {
            let mut h = KeyHasher::default();
            std::hash::Hash::hash(&TaskKey { tid, start_ticks }, &mut h);
            h.finish()
        };
        let mut seen = HashSet::new();
        for tid in 0..2000 {
            for start in [0, 1, 100, 12_345_678] {
                assert!(seen.insert(hash(tid, start)), "collision at {tid}/{start}");
            }
        }
        // A reused TID with another start time is another key.
        let mut m = KeyMap::default();
        m.insert(
            TaskKey {
                tid: 7,
                start_ticks: 1,
            },
            1,
        );
        m.insert(
            TaskKey {
                tid: 7,
                start_ticks: 2,
            },
            2,
        );
        assert_eq!(m.len(), 2);
    }
}

#[cfg(test)]
mod packed_tests {
    use super::*;

    #[test]
    fn every_rate_and_every_unknown_survives_the_packing() {
        let key = TaskKey {
            tid: 7,
            start_ticks: 9,
        };
        let full = TaskRate {
            cpu_percent: Some(0.0),
            switches_per_sec: Some(1e9),
            voluntary_per_sec: Some(0.1),
            involuntary_per_sec: Some(12.5),
            wait_percent: Some(100.0),
            io_read_per_sec: Some(4096.0),
            io_write_per_sec: Some(1.0 / 3.0),
        };
        for r in [full, TaskRate::default()] {
            let mut rates = Rates::default();
            rates.insert(key, r);
            assert_eq!(rates.get(&key), Some(r));
        }
        let mut rates = Rates::default();
        rates.insert(key, TaskRate::default());
        assert!(rates.set_io(&key, 5.0, 0.0));
        let got = rates.get(&key).expect("rates");
        assert_eq!(
            (got.io_read_per_sec, got.io_write_per_sec, got.cpu_percent),
            (Some(5.0), Some(0.0), None)
        );
        assert!(!rates.set_io(
            &TaskKey {
                tid: 8,
                start_ticks: 9
            },
            1.0,
            1.0
        ));
    }
}
