//! Loads and attaches the BPF programs (aya: no libbpf, no clang at build time) and reads
//! their maps once a tick.
//!
//! The tick protocol: user space bumps the generation in the `gen` map; events of
//! generation g fill half g & 1 of each task's value, so right after the bump the half of
//! the generation that just ended is complete and still, and is read while the other fills.
//! Entries are deleted only for tasks that are gone and read for the last time: no
//! per-tick deletes.
//!
//! CPU time of a task that stays on its CPU across the bump: the kernel credits a segment
//! when the task switches out, counting only the part since the current generation began;
//! user space credits the part of a still-open segment that fell in the ended generation
//! (from the per-task `oncpu_ts`). A busy thread alone on a CPU may not switch out for
//! seconds, and without this its CPU time would land all in one later tick.
//! The segment of a task that switches out between the bump and the read is credited to the
//! new generation only: the read follows the bump by about a millisecond.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aya::maps::{Array, HashMap as BpfHashMap, MapData};
use aya::programs::BtfTracePoint;
use aya::{Btf, Ebpf, EbpfLoader};

use super::hist::quantile_ns;
use super::layout::{EXITED, GenVal, Half, RUNNING, TaskVal};
use super::why;
use super::{EventTick, Events, Mode, TaskEvents, Waker};
use crate::collect::snapshot::{Comm, Snapshot, TaskKey};

/// The compiled programs (assets/bpf/sched.bpf.c, rebuilt by assets/bpf/build.sh).
static OBJECT: &[u8] = aya::include_bytes_aligned!("../../../assets/bpf/sched.bpf.o");

/// (program, tracepoint) pairs the object holds.
const PROGRAMS: [(&str, &str); 6] = [
    ("handle_switch", "sched_switch"),
    ("handle_wakeup", "sched_wakeup"),
    ("handle_wakeup_new", "sched_wakeup_new"),
    ("handle_waking", "sched_waking"),
    ("handle_migrate", "sched_migrate_task"),
    ("handle_exit", "sched_process_exit"),
];

/// Test-only: `THREADTOP_TEST_EVENT_TASKS=N` makes the task map hold N entries, so the
/// "maps full" path can be exercised by an end-to-end test.
const TEST_TASKS_ENV: &str = "THREADTOP_TEST_EVENT_TASKS";

pub struct EventSource {
    /// Owns the programs and their links: dropping it (or the process dying, SIGKILL too)
    /// detaches them; nothing is pinned.
    _ebpf: Ebpf,
    tasks: BpfHashMap<MapData, u32, TaskVal>,
    generation_map: Array<MapData, GenVal>,
    stats: Array<MapData, u64>,
    generation: u64,
    generation_start_ns: u64,
}

/// What `start` gave: the source, or why there is none (for `--events auto`).
pub enum Start {
    Running(Box<EventSource>),
    Unavailable(String),
}

/// Starts the source as `mode` asks. `Err` only for `Mode::On` when it cannot run.
pub fn start(mode: Mode) -> Result<Start, String> {
    if mode == Mode::Off {
        return Ok(Start::Unavailable("off (--events off)".into()));
    }
    match EventSource::load() {
        Ok(s) => Ok(Start::Running(Box::new(s))),
        Err(why) if mode == Mode::On => Err(why),
        Err(why) => Ok(Start::Unavailable(why)),
    }
}

/// The collector's handle on the events: a source, or the reason there is none.
pub enum Feed {
    On(Box<EventSource>),
    Off(Arc<str>),
}

impl Feed {
    pub fn new(start: Start) -> Self {
        match start {
            Start::Running(s) => Feed::On(s),
            Start::Unavailable(why) => Feed::Off(why.into()),
        }
    }

    /// Ends the tick in the kernel and puts its figures into `snap` (taken this tick).
    pub fn fill(&mut self, snap: &mut Snapshot) {
        snap.events = match self {
            Feed::On(src) => match src.tick(snap) {
                Ok(t) => Events::Bpf(Arc::new(t)),
                Err(e) => {
                    let why: Arc<str> = format!("reading the event maps failed: {e}").into();
                    *self = Feed::Off(why.clone());
                    Events::Unavailable(why)
                }
            },
            Feed::Off(why) => Events::Unavailable(why.clone()),
        };
    }
}

fn read_to_string(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn monotonic_ns() -> u64 {
    ns(rustix::time::clock_gettime(
        rustix::time::ClockId::Monotonic,
    ))
}

fn realtime_ns() -> u64 {
    ns(rustix::time::clock_gettime(rustix::time::ClockId::Realtime))
}

fn ns(t: rustix::time::Timespec) -> u64 {
    (t.tv_sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec.max(0) as u64)
}

impl EventSource {
    /// Loads, checks and attaches every program, or says what is missing.
    pub fn load() -> Result<Self, String> {
        let status = read_to_string("/proc/self/status").unwrap_or_default();
        let release = rustix::system::uname()
            .release()
            .to_string_lossy()
            .into_owned();
        let btf_present = std::path::Path::new(why::BTF_PATH).exists();
        if let Some(why) = why::precheck(&status, &release, btf_present) {
            return Err(why);
        }
        let lockdown = read_to_string("/sys/kernel/security/lockdown");
        let fail =
            |what: String| why::explain_failure(&why::short_error(&what), lockdown.as_deref());
        let btf = Btf::from_sys_fs().map_err(|e| fail(format!("reading BTF: {e}")))?;
        let mut loader = EbpfLoader::new();
        loader.btf(Some(&btf));
        if let Some(n) = std::env::var(TEST_TASKS_ENV)
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
        {
            loader.map_max_entries("tasks", n.max(1));
        }
        let mut ebpf = loader
            .load(OBJECT)
            .map_err(|e| fail(format!("{e} ({})", error_chain(&e))))?;
        for (prog, tp) in PROGRAMS {
            let p: &mut BtfTracePoint = ebpf
                .program_mut(prog)
                .ok_or_else(|| fail(format!("program {prog} missing from the object")))?
                .try_into()
                .map_err(|e| fail(format!("{prog}: {e}")))?;
            p.load(tp, &btf)
                .map_err(|e| fail(format!("{tp}: {e} ({})", error_chain(&e))))?;
            p.attach()
                .map_err(|e| fail(format!("attaching {tp}: {e}")))?;
        }
        let take = |ebpf: &mut Ebpf, name: &str| {
            ebpf.take_map(name)
                .ok_or_else(|| fail(format!("map {name} missing from the object")))
        };
        let tasks = BpfHashMap::try_from(take(&mut ebpf, "tasks")?)
            .map_err(|e| fail(format!("tasks map: {e}")))?;
        let generation_map =
            Array::try_from(take(&mut ebpf, "gen")?).map_err(|e| fail(format!("gen map: {e}")))?;
        let stats = Array::try_from(take(&mut ebpf, "stats")?)
            .map_err(|e| fail(format!("stats map: {e}")))?;
        Ok(EventSource {
            _ebpf: ebpf,
            tasks,
            generation_map,
            stats,
            generation: 0,
            generation_start_ns: 0,
        })
    }

    /// Ends the current generation and reads it. The first call starts counting and
    /// returns no figures.
    pub fn tick(&mut self, snap: &Snapshot) -> Result<EventTick, String> {
        let ended = self.generation;
        let ended_start = self.generation_start_ns;
        let now = monotonic_ns();
        let wall = realtime_ns();
        self.generation_map
            .set(
                0,
                GenVal {
                    generation: ended + 1,
                    start_ns: now,
                },
                0,
            )
            .map_err(|e| e.to_string())?;
        self.generation = ended + 1;
        self.generation_start_ns = now;
        let maps_full = self.stats.get(&0, 0).unwrap_or(0);
        if ended == 0 {
            return Ok(EventTick {
                interval_ns: None,
                tasks: HashMap::new(),
                maps_full,
            });
        }
        let tick_per_ns = 1_000_000_000 / snap.clk_tck.max(1);
        let live: HashSet<u32> = snap.tasks().map(|t| t.tid).collect();
        let mut tasks = HashMap::new();
        let mut gone = Vec::new();
        for entry in self.tasks.iter() {
            // An entry deleted under the iterator ends it early: the rest come next tick.
            let Ok((tid, v)) = entry else { break };
            let key = TaskKey {
                tid,
                start_ticks: v.start_boottime / tick_per_ns,
            };
            let last = v.h[0].generation.max(v.h[1].generation);
            if last < ended && (v.flags & EXITED != 0 || !live.contains(&tid)) {
                // Read for the last time a tick ago.
                gone.push(tid);
                continue;
            }
            if let Some(e) = task_events(&v, ended, ended_start, now, wall) {
                tasks.insert(key, e);
            }
        }
        for tid in gone {
            // Already gone is fine: nothing else deletes, but a failure must not stop a tick.
            let _ = self.tasks.remove(&tid);
        }
        Ok(EventTick {
            interval_ns: Some(now.saturating_sub(ended_start)),
            tasks,
            maps_full,
        })
    }
}

/// The figures of generation `ended` (which ran from `start` to `end`, monotonic ns) in
/// one task's value; `None` when the task did nothing in it.
fn task_events(v: &TaskVal, ended: u64, start: u64, end: u64, wall: u64) -> Option<TaskEvents> {
    let h: &Half = &v.h[(ended & 1) as usize];
    let fresh = h.generation == ended;
    let running = v.flags & RUNNING != 0 && v.oncpu_ts != 0;
    if !fresh && !running {
        return None;
    }
    let mut out = TaskEvents::default();
    let mut cpu: Vec<(u32, u64)> = Vec::new();
    let mut unknown = false;
    if fresh {
        out.waits = h.count;
        out.p50_ns = quantile_ns(&h.hist, 0.50, h.max_ns);
        out.p99_ns = quantile_ns(&h.hist, 0.99, h.max_ns);
        if h.count > 0 {
            out.max_ns = Some(h.max_ns);
            out.max_at_unix_ns = Some(wall.saturating_sub(end.saturating_sub(h.max_at)));
        }
        cpu.extend(h.slots.iter().filter(|s| s.ns > 0).map(|s| (s.cpu, s.ns)));
        out.other_cpu_ns = h.other_ns;
        out.migrations = h.migrations;
        out.voluntary = h.voluntary;
        out.involuntary = h.involuntary;
        out.wakings = h.wakings;
        // Boyer-Moore leaves a candidate even without a majority; `waker_hits` counts only
        // its own wakeups (since it became candidate), so more than half proves one.
        if h.waker_tid != 0 && u64::from(h.waker_hits) * 2 > u64::from(h.wakings) {
            let len = h.waker_comm.iter().position(|&b| b == 0).unwrap_or(16);
            out.woken_by = Some(Waker {
                tid: h.waker_tid,
                comm: Comm::new(&h.waker_comm[..len]),
            });
        }
        unknown = h.cpu_unknown != 0;
    }
    if running {
        let from = v.oncpu_ts.max(start);
        if end > from {
            match cpu.iter_mut().find(|(c, _)| *c == v.oncpu_cpu) {
                Some((_, ns)) => *ns += end - from,
                None => cpu.push((v.oncpu_cpu, end - from)),
            }
        }
    }
    cpu.sort_unstable();
    out.cpu_ns = (!unknown).then_some(cpu);
    Some(out)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut src = e.source();
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ")
}
