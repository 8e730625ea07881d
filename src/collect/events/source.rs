//! Loads and attaches the BPF programs (aya: no libbpf, no clang at build time) and reads
//! their maps once a tick.
//!
//! The tick protocol: user space bumps the generation in the `gen` map; events of
//! generation g fill half g & 1 of each task's value, so right after the bump the half of
//! the generation that just ended is complete and still, and is read while the other fills.
//! Entries are deleted only for tasks that are gone and read for the last time: no
//! per-tick deletes.
//!
//! CPU time is charged per CPU, from one switch to the next (a per-CPU map says who runs
//! there since when), so what one CPU is charged can never exceed the time that passed. At
//! a switch the kernel charges the outgoing task only the part since the current
//! generation began; user space charges each CPU's current task the part of its open
//! segment that fell in the generation that ended. A busy thread alone on a CPU may not
//! switch out for seconds: without this its time would land all in one later tick.
//! The open segments are read right after the bump: a task that switches out between the
//! bump and that read (microseconds) has that generation's part of its segment lost.

use std::collections::HashSet;
use std::sync::{Arc, mpsc};

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use aya::maps::{Array, HashMap as BpfHashMap, IterableMap, Map, MapData, PerCpuArray};
use aya::programs::BtfTracePoint;
use aya::{Btf, EbpfLoader};

use super::hist::quantile_ns;
use super::layout::{CpuState, EXITED, GenVal, Half, TaskVal};
use super::why;
use super::{CpuNs, EventTasks, EventTick, Events, Mode, TaskEvents, Waker};
use crate::collect::snapshot::{Comm, Snapshot, TaskKey};

/// The compiled programs (assets/bpf/sched.bpf.c, rebuilt by assets/bpf/build.sh).
static OBJECT: &[u8] = aya::include_bytes_aligned!("../../../assets/bpf/sched.bpf.o");

/// (program, tracepoint) pairs the object holds, in the order they are attached: the
/// interrupt exits before their entries (see `irq_leave` in the C source).
const PROGRAMS: [(&str, &str); 12] = [
    ("handle_irq_exit", "irq_handler_exit"),
    ("handle_softirq_exit", "softirq_exit"),
    ("handle_hrtimer_exit", "hrtimer_expire_exit"),
    ("handle_irq_entry", "irq_handler_entry"),
    ("handle_softirq_entry", "softirq_entry"),
    ("handle_hrtimer_entry", "hrtimer_expire_entry"),
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
    /// The programs' links, in `PROGRAMS`' order: they hold the programs, and closing
    /// them (dropping the source, or the process dying, SIGKILL too) detaches them;
    /// nothing is pinned. threadtop's own descriptors, not aya's, so that a loading child
    /// process can hand them over (`handover`).
    links: Vec<OwnedFd>,
    tasks: BpfHashMap<MapData, u32, TaskVal>,
    generation_map: Array<MapData, GenVal>,
    cpus: PerCpuArray<MapData, CpuState>,
    stats: PerCpuArray<MapData, u64>,
    /// `stats` 0 and 2 at the end of the last tick, for the refusals of this one.
    refused_before: u64,
    /// Tasks with figures last tick: the next tick's vector is reserved to about this
    /// (not grown by doubling, which holds the old and new blocks together).
    last_len: usize,
    /// Bytes the last tick's figures took (`EventTasks::figure_bytes`).
    last_bytes: usize,
    /// Reads `tasks` in batches; `None` once the kernel refused them (entry by entry).
    batch: Option<super::batch::BatchReader>,
    /// The task iterator, loaded with the same parse of the kernel's BTF, until the
    /// scanner takes it (`Feed::take_task_iter`).
    task_iter: Option<Result<crate::collect::task_iter::TaskIter, String>>,
    generation: u64,
    generation_start_ns: u64,
    /// Where the programs were loaded (threadtop or a child process), for `--json`.
    loader: Arc<super::handover::LoaderReport>,
}

/// What `start` gave: the source, or why there is none (for `--events auto`).
pub enum Start {
    Running(Box<EventSource>),
    Unavailable(String),
}

/// Starts the source as `mode` asks. `Err` only for `Mode::On` when it cannot run. The
/// task iterator is loaded with it (one parse of the kernel's BTF for both).
pub fn start(mode: Mode) -> Result<Start, String> {
    start_with(mode, true)
}

/// As `start`; `task_iter` false when nothing will use the iterator (`-p`, recordings).
pub fn start_with(mode: Mode, task_iter: bool) -> Result<Start, String> {
    if mode == Mode::Off {
        return Ok(Start::Unavailable("off (--events off)".into()));
    }
    let loaded = if super::handover::child_process_used() {
        super::handover::load_in_child(task_iter)
    } else {
        EventSource::load(task_iter)
    };
    match loaded {
        Ok(s) => Ok(Start::Running(Box::new(s))),
        Err(why) if mode == Mode::On => Err(why),
        Err(why) => Ok(Start::Unavailable(why)),
    }
}

impl EventSource {
    /// The task iterator loaded with the events (or why it could not be), once.
    pub fn take_task_iter(
        &mut self,
    ) -> Option<Result<crate::collect::task_iter::TaskIter, String>> {
        self.task_iter.take()
    }
}

/// `Events::Unavailable`'s reason until programs loaded on another thread have answered
/// (`Feed::load_after_first_frame`); the header says `events: loading`.
pub const LOADING: &str = "loading";

/// Tasks from which the first frame waits for the load (see `Feed::first_frame_wait`):
/// about 200 ms of /proc first pass on this 2-CPU machine (stat opened, read and closed
/// for each, 9-11 µs a task).
pub const LARGE_MACHINE_TASKS: usize = 20_000;
/// The longest the first frame waits for the load there: a load usually answers in about
/// 100 ms; past this bound the frame comes from /proc as on a smaller machine.
pub const LARGE_MACHINE_LOAD_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

/// The collector's handle on the events: a source, the reason there is none, or a load
/// under way on another thread.
pub enum Feed {
    On(Box<EventSource>),
    Off(Arc<str>),
    /// To load once the first frame is drawn (`load_after_first_frame`), with the task
    /// iterator when true.
    Deferred(bool),
    /// Loading (`start_deferred`): the answer arrives on this channel.
    Loading(mpsc::Receiver<Start>),
}

impl Drop for Feed {
    /// Once the display is armed (`linger::arm`), an event source that is on is
    /// forgotten, not dropped: the collector ends only when threadtop does, and the links
    /// must outlive it for `linger::hand_over` to take them.
    fn drop(&mut self) {
        if matches!(self, Feed::On(_)) && super::linger::armed() {
            std::mem::forget(std::mem::replace(self, Feed::Off("ended".into())));
        }
    }
}

impl Feed {
    pub fn new(start: Start) -> Self {
        match start {
            Start::Running(s) => {
                super::linger::set_live();
                Feed::On(s)
            }
            Start::Unavailable(why) => Feed::Off(why.into()),
        }
    }

    /// Loads as `start_with(Mode::Auto, task_iter)` does, but on a thread of its own
    /// once the collector has sent its first snapshot (`start_deferred`), so the
    /// display's first frames do not wait for the kernel: snapshots say `loading` until
    /// the load has answered (`settle`). Why: attaching and detaching tracepoints wait
    /// for RCU grace periods, and on a busy machine (this one, with a few ping-pong
    /// workloads) the grace-period thread was starved for 59 s: the screen stayed blank
    /// for 2-90 s while the child loaded, where a /proc frame takes milliseconds. After
    /// the first frame, not with it: at 10,000 waking threads a load beside the first
    /// scan made the first full frame 557 ms instead of 288.
    pub fn load_after_first_frame(task_iter: bool) -> Self {
        Feed::Deferred(task_iter)
    }

    /// Starts a deferred load (`load_after_first_frame`) on a thread of its own.
    pub fn start_deferred(&mut self) {
        let Feed::Deferred(task_iter) = *self else {
            return;
        };
        *self = Self::load_in_background(task_iter);
    }

    fn load_in_background(task_iter: bool) -> Self {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("tt-bpf-load".into())
            .spawn(move || {
                let start = start_with(Mode::Auto, task_iter).unwrap_or_else(Start::Unavailable);
                let _ = tx.send(start);
            });
        match spawned {
            Ok(_) => Feed::Loading(rx),
            Err(e) => Feed::Off(format!("could not start a thread to load them: {e}").into()),
        }
    }

    /// A `Loading` feed whose load has answered becomes `On` or `Off`; true when that
    /// happened in this call (the collector then takes the task iterator it brought).
    pub fn settle(&mut self) -> bool {
        self.settle_within(std::time::Duration::ZERO)
    }

    /// As [`Feed::settle`], waiting up to `wait` for the load's answer.
    pub fn settle_within(&mut self, wait: std::time::Duration) -> bool {
        let Feed::Loading(rx) = self else {
            return false;
        };
        *self = match rx.recv_timeout(wait) {
            Ok(start) => Feed::new(start),
            Err(mpsc::RecvTimeoutError::Timeout) => return false,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Feed::Off("the thread loading them ended without an answer".into())
            }
        };
        true
    }

    /// How long the first frame may wait for a deferred load on a machine running
    /// `tasks` tasks: on a large one the /proc pass the first frame otherwise comes from
    /// costs more than a load usually takes, so the load starts first and the frame comes
    /// from the task iterator when it answers in time. At 50,000 threads here the first
    /// frame from /proc took 602 ms (`stat` opened, read and closed for most tasks: the
    /// descriptor limit is 20,000), against 148 ms with the load before it (stop 25); at
    /// 10,000 the /proc pass takes 110-150 ms and the frame does not wait. Bounded, as a
    /// load can take seconds while the kernel is slow to finish an RCU grace period.
    pub fn first_frame_wait(tasks: Option<usize>) -> Option<std::time::Duration> {
        tasks
            .filter(|&n| n >= LARGE_MACHINE_TASKS)
            .map(|_| LARGE_MACHINE_LOAD_WAIT)
    }

    /// The task iterator the source loaded, if it is on (see `EventSource::take_task_iter`).
    pub fn take_task_iter(
        &mut self,
    ) -> Option<Result<crate::collect::task_iter::TaskIter, String>> {
        match self {
            Feed::On(src) => src.take_task_iter(),
            Feed::Off(_) | Feed::Deferred(_) | Feed::Loading(_) => None,
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
            Feed::Deferred(_) | Feed::Loading(_) => Events::Unavailable(LOADING.into()),
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
    /// Loads, checks and attaches every program, or says what is missing; with
    /// `task_iter`, the task iterator too (`take_task_iter`).
    pub fn load(task_iter: bool) -> Result<Self, String> {
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
        // aya's `EbpfLoader::new` parses the kernel's BTF itself (about 16 MiB of heap
        // here): made first and its parse dropped at once, so that it is not alive beside
        // ours (both were: 32 MiB of heap at the peak, measured with heaptrack).
        let mut loader = EbpfLoader::new();
        loader.btf(None);
        let btf = Btf::from_sys_fs().map_err(|e| fail(format!("reading BTF: {e}")))?;
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
        let mut links = Vec::with_capacity(PROGRAMS.len());
        for (prog, tp) in PROGRAMS {
            let p: &mut BtfTracePoint = ebpf
                .program_mut(prog)
                .ok_or_else(|| fail(format!("program {prog} missing from the object")))?
                .try_into()
                .map_err(|e| fail(format!("{prog}: {e}")))?;
            p.load(tp, &btf)
                .map_err(|e| fail(format!("{tp}: {e} ({})", error_chain(&e))))?;
            let fd = p.fd().map_err(|e| fail(format!("{tp}: {e}")))?;
            links.push(
                crate::collect::bpf_sys::attach_btf_tracepoint(fd.as_fd())
                    .map_err(|e| fail(format!("attaching {tp}: {e}")))?,
            );
        }
        let mut take = |name: &str| {
            ebpf.take_map(name)
                .ok_or_else(|| fail(format!("map {name} missing from the object")))
        };
        let maps = [take("tasks")?, take("gen")?, take("cpus")?, take("stats")?];
        // The links hold the programs: aya's copies (and the object) can go.
        drop(ebpf);
        // The task iterator needs the same BTF: loaded now, one parse for both (each parse
        // is about 16 MiB of heap and 0.4 s of CPU here), then the heap it took goes back.
        let task_iter = task_iter.then(|| crate::collect::task_iter::TaskIter::load_with(&btf));
        drop(btf);
        crate::collect::task_iter::return_freed_memory();
        let mut src = Self::of_maps(maps, links).map_err(fail)?;
        src.task_iter = task_iter;
        Ok(src)
    }

    /// The source over the maps and links a load made (here, or in a child process).
    fn of_maps(
        [tasks, generation_map, cpus, stats]: [Map; 4],
        links: Vec<OwnedFd>,
    ) -> Result<Self, String> {
        Ok(EventSource {
            task_iter: None,
            links,
            tasks: BpfHashMap::try_from(tasks).map_err(|e| format!("tasks map: {e}"))?,
            generation_map: Array::try_from(generation_map).map_err(|e| format!("gen map: {e}"))?,
            cpus: PerCpuArray::try_from(cpus).map_err(|e| format!("cpus map: {e}"))?,
            stats: PerCpuArray::try_from(stats).map_err(|e| format!("stats map: {e}"))?,
            refused_before: 0,
            last_len: 0,
            last_bytes: 0,
            batch: Some(super::batch::BatchReader::default()),
            generation: 0,
            generation_start_ns: 0,
            loader: Arc::default(),
        })
    }

    /// The maps' descriptors (tasks, gen, cpus, stats) and the links', to hand over.
    pub(super) fn fds(&self) -> ([BorrowedFd<'_>; 4], Vec<BorrowedFd<'_>>) {
        (
            [
                self.tasks.map().fd().as_fd(),
                self.generation_map.map().fd().as_fd(),
                self.cpus.map().fd().as_fd(),
                self.stats.map().fd().as_fd(),
            ],
            self.links.iter().map(|l| l.as_fd()).collect(),
        )
    }

    /// The task iterator loaded with the source, if it was asked for (to hand over).
    pub(super) fn task_iter(&self) -> Option<&Result<crate::collect::task_iter::TaskIter, String>> {
        self.task_iter.as_ref()
    }

    /// The source from descriptors another process loaded, in `fds`' order.
    pub(super) fn of_fds(
        maps: [OwnedFd; 4],
        links: Vec<OwnedFd>,
        task_iter: Option<Result<crate::collect::task_iter::TaskIter, String>>,
        loader: super::handover::LoaderReport,
    ) -> Result<Self, String> {
        if links.len() != PROGRAMS.len() {
            return Err(format!(
                "{} links handed over, not {}",
                links.len(),
                PROGRAMS.len()
            ));
        }
        let [a, b, c, d] = maps.map(|fd| {
            MapData::from_fd(fd)
                .and_then(Map::from_map_data)
                .map_err(|e| format!("a map handed over: {e}"))
        });
        let mut src = Self::of_maps([a?, b?, c?, d?], links)?;
        src.task_iter = task_iter;
        src.loader = Arc::new(loader);
        Ok(src)
    }

    /// Notes where the programs were loaded (for `--json`).
    pub(super) fn set_loader(&mut self, loader: super::handover::LoaderReport) {
        self.loader = Arc::new(loader);
    }

    /// System calls the last tick's read of the task map took (`None`: the kernel refused
    /// batches and it was read entry by entry, two a task).
    pub fn last_read_calls(&self) -> Option<u32> {
        self.batch.as_ref().map(|b| b.calls)
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
        // First, while the open segments are still the ones the bump cut.
        let open: Vec<CpuState> = self
            .cpus
            .get(&0, 0)
            .map(|per_cpu| per_cpu.iter().copied().collect())
            .unwrap_or_default();
        let stat = |i: u32| -> u64 {
            self.stats
                .get(&i, 0)
                .map(|per_cpu| per_cpu.iter().sum())
                .unwrap_or(0)
        };
        let (maps_full, insert_failures) = (stat(0), stat(2));
        let refused = maps_full + insert_failures;
        let refused_in_tick = refused.saturating_sub(self.refused_before);
        self.refused_before = refused;
        if ended == 0 {
            return Ok(EventTick {
                interval_ns: None,
                tasks: EventTasks::new(),
                maps_full,
                insert_failures,
                refused_in_tick,
                loader: Some(self.loader.clone()),
            });
        }
        let tick_per_ns = 1_000_000_000 / snap.clk_tck.max(1);
        let live: HashSet<u32> = snap.tasks().map(|t| t.tid).collect();
        // Room for every live task (the kernel map holds at most those and the few that
        // exited since): grown by doubling from the last tick's size instead, the first
        // tick at 10,000 threads held 1.7 and 3.5 MB at once. Room never written is never
        // resident (a block this big is its own mapping: `return_big_buffers_to_the_kernel`).
        let room = if snap.partial {
            self.last_len
        } else {
            self.last_len.max(live.len())
        };
        // The figures' bytes as many as last tick's a task and a sixteenth more: sized
        // right, the buffer is neither grown (copied) nor shrunk (copied) while the
        // display's tick is alive beside it.
        let per_task = match self.last_len {
            0 => super::tasks::Builder::BYTES_A_TASK,
            n => self.last_bytes.div_ceil(n),
        };
        let n = room + room / 8 + 64;
        let mut tasks = super::tasks::Builder::with_capacity(n, n * (per_task + per_task / 16));
        let mut gone = Vec::new();
        // Each CPU's current task ran there from its switch-in (or the generation's start)
        // to the bump: added to its figures as they are read. The idle tasks (TID 0) are
        // not tasks /proc lists.
        let mut running: Vec<(TaskKey, u32, u64, bool)> = open
            .iter()
            .enumerate()
            .filter_map(|(cpu, st)| {
                let from = st.since.max(ended_start);
                (st.tid != 0 && now > from).then(|| {
                    let key = TaskKey {
                        tid: st.tid,
                        start_ticks: st.start_boottime / tick_per_ns,
                    };
                    (key, cpu as u32, now - from, false)
                })
            })
            .collect();
        let add_running =
            |e: &mut TaskEvents, key: TaskKey, running: &mut [(TaskKey, u32, u64, bool)]| {
                for (_, cpu, ns, used) in running.iter_mut().filter(|r| r.0 == key) {
                    *used = true;
                    let cpus = e.cpu_ns.get_or_insert_with(CpuNs::default);
                    if !cpus.add(*cpu, *ns) {
                        e.other_cpu_ns = e.other_cpu_ns.saturating_add(*ns);
                    }
                }
            };
        let mut visit = |tid: u32, v: &TaskVal| {
            let key = TaskKey {
                tid,
                start_ticks: v.start_boottime / tick_per_ns,
            };
            // Under `-p` the snapshot holds only the chosen processes: a task it lacks is not
            // gone, and only the kernel's exit flag may end its entry.
            let in_proc = snap.partial || live.contains(&tid);
            if read_for_the_last_time(v, ended, in_proc) {
                gone.push(tid);
                return;
            }
            let mut e = task_events(v, ended, now, wall);
            // Still off a CPU at the bump: the generation's part of the open stretch.
            if v.off_ts != 0 && (v.off_reason as usize) < super::layout::NOFF {
                let from = v.off_ts.max(ended_start);
                if now > from {
                    let e = e.get_or_insert_with(TaskEvents::ran_nowhere);
                    e.off_ns[v.off_reason as usize] += now - from;
                }
            }
            if running.iter().any(|r| r.0 == key) {
                let e = e.get_or_insert_with(TaskEvents::ran_nowhere);
                add_running(e, key, &mut running);
            }
            if let Some(e) = e {
                tasks.push(key, &e);
            }
        };
        let batched = match &mut self.batch {
            Some(b) => b
                .for_each(aya::maps::IterableMap::map(&self.tasks), &mut visit)
                .is_ok(),
            None => false,
        };
        if !batched {
            self.batch = None;
            for entry in self.tasks.iter() {
                // An entry deleted under the iterator ends it early: the rest come next tick.
                let Ok((tid, v)) = entry else { break };
                visit(tid, &v);
            }
        }
        // A running task the map had no figures for (none since the source loaded, or
        // not read): its time on the CPU alone.
        for i in 0..running.len() {
            let (key, _, _, used) = running[i];
            if !used {
                let mut e = TaskEvents::ran_nowhere();
                add_running(&mut e, key, &mut running);
                tasks.push(key, &e);
            }
        }
        // Sorted for lookups; a task read twice (a batch can repeat entries moved by an
        // update under it) is kept once.
        let tasks = tasks.finish();
        self.last_len = tasks.len();
        self.last_bytes = tasks.figure_bytes();
        for tid in gone {
            // Already gone is fine: nothing else deletes, but a failure must not stop a tick.
            let _ = self.tasks.remove(&tid);
        }
        Ok(EventTick {
            interval_ns: Some(now.saturating_sub(ended_start)),
            tasks,
            maps_full,
            insert_failures,
            refused_in_tick,
            loader: Some(self.loader.clone()),
        })
    }
}

/// Whether a task's entry can go: the task exited (or is not in /proc any more) and had no
/// events in generation `ended`, so its last figures were read a tick ago or earlier. An
/// exited task is kept for the read of the generation it exited in.
fn read_for_the_last_time(v: &TaskVal, ended: u64, in_proc: bool) -> bool {
    let last = v.h[0].generation.max(v.h[1].generation);
    last < ended && (v.flags & EXITED != 0 || !in_proc)
}

/// The figures of generation `ended` (which ended at `end`, monotonic ns, `wall` in
/// Unix ns) in one task's value; `None` when the task had no events in it.
fn task_events(v: &TaskVal, ended: u64, end: u64, wall: u64) -> Option<TaskEvents> {
    let h: &Half = &v.h[(ended & 1) as usize];
    if h.generation != ended {
        return None;
    }
    let (cpu, beyond) =
        CpuNs::from_pairs(h.slots.iter().filter(|s| s.ns > 0).map(|s| (s.cpu, s.ns)));
    // Boyer-Moore leaves a candidate even without a majority; `waker_hits` counts only
    // its own wakeups (since it became candidate), so more than half proves one.
    let woken_by =
        (h.waker_tid != 0 && u64::from(h.waker_hits) * 2 > u64::from(h.wakings)).then(|| {
            let len = h.waker_comm.iter().position(|&b| b == 0).unwrap_or(16);
            Waker {
                tid: h.waker_tid,
                comm: Comm::new(&h.waker_comm[..len]),
            }
        });
    Some(TaskEvents {
        waits: h.count,
        p50_ns: quantile_ns(&h.hist, 0.50, h.max_ns),
        p99_ns: quantile_ns(&h.hist, 0.99, h.max_ns),
        max_ns: (h.count > 0).then_some(h.max_ns),
        max_at_unix_ns: (h.count > 0).then(|| wall.saturating_sub(end.saturating_sub(h.max_at))),
        cpu_ns: Some(cpu),
        other_cpu_ns: h.other_ns.saturating_add(beyond),
        migrations: h.migrations,
        voluntary: h.voluntary,
        involuntary: h.involuntary,
        wakings: h.wakings,
        irq_wakings: h.irq_wakings,
        woken_by,
        off_ns: h.off_ns,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::events::hist::bucket_of;
    use crate::collect::events::layout::CpuSlot;

    fn half(generation: u64) -> Half {
        Half {
            generation,
            ..Half::ZERO
        }
    }

    #[test]
    fn a_feed_says_loading_until_the_load_answers_then_what_it_answered() {
        let (tx, rx) = mpsc::channel();
        let mut feed = Feed::Loading(rx);
        let mut snap = Snapshot::empty();
        assert!(!feed.settle(), "no answer yet");
        feed.fill(&mut snap);
        assert_eq!(snap.events.unavailable(), Some(LOADING));
        tx.send(Start::Unavailable("needs root".into()))
            .expect("the feed listens");
        assert!(feed.settle(), "answered");
        assert!(!feed.settle(), "settled once");
        assert!(feed.take_task_iter().is_none());
        feed.fill(&mut snap);
        assert_eq!(snap.events.unavailable(), Some("needs root"));
        // Deferred until the first frame: loading, as far as a snapshot can tell.
        let mut feed = Feed::load_after_first_frame(true);
        assert!(!feed.settle());
        feed.fill(&mut snap);
        assert_eq!(snap.events.unavailable(), Some(LOADING));
        assert!(feed.take_task_iter().is_none());
        // Waited for: an answer within the wait settles it; none leaves it loading.
        let (tx, rx) = mpsc::channel();
        let mut feed = Feed::Loading(rx);
        assert!(!feed.settle_within(std::time::Duration::from_millis(1)));
        assert!(matches!(feed, Feed::Loading(_)));
        let answer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let _ = tx.send(Start::Unavailable("needs root".into()));
        });
        assert!(feed.settle_within(std::time::Duration::from_secs(600)));
        assert!(matches!(&feed, Feed::Off(why) if &**why == "needs root"));
        answer.join().expect("the answering thread");
        // Only a large machine's first frame waits for the load, and not for long.
        assert_eq!(Feed::first_frame_wait(None), None);
        assert_eq!(Feed::first_frame_wait(Some(10_000)), None);
        assert_eq!(
            Feed::first_frame_wait(Some(LARGE_MACHINE_TASKS)),
            Some(LARGE_MACHINE_LOAD_WAIT)
        );
        // A loading thread that died without an answer is a reason, not a wait forever.
        let (tx, rx) = mpsc::channel::<Start>();
        let mut feed = Feed::Loading(rx);
        drop(tx);
        assert!(feed.settle());
        feed.fill(&mut snap);
        assert!(
            snap.events
                .unavailable()
                .is_some_and(|why| why.contains("without an answer")),
            "{:?}",
            snap.events.unavailable()
        );
    }

    #[test]
    fn a_half_of_another_generation_is_no_figures() {
        let mut v = TaskVal::ZERO;
        v.h[1] = half(3);
        assert!(
            task_events(&v, 5, 0, 0).is_none(),
            "stale half 1 for generation 5"
        );
        v.h[1] = half(5);
        let e = task_events(&v, 5, 0, 0).expect("figures");
        assert_eq!((e.waits, e.max_ns, e.p99_ns), (0, None, None));
        assert_eq!(e.cpu_ns, Some(CpuNs::default()));
    }

    #[test]
    fn figures_come_out_with_wall_clock_times_and_cpus_in_order() {
        let mut v = TaskVal::ZERO;
        let mut h = half(4);
        h.count = 3;
        h.hist[bucket_of(10_000)] = 2;
        h.hist[bucket_of(38_000_000)] = 1;
        h.max_ns = 38_000_000;
        // Ended 2 s before the tick's end (monotonic 10 s; wall 1,000 s).
        h.max_at = 8_000_000_000;
        h.slots[0] = CpuSlot {
            cpu: 3,
            pad: 0,
            ns: 7,
        };
        h.slots[1] = CpuSlot {
            cpu: 1,
            pad: 0,
            ns: 5,
        };
        h.migrations = 2;
        v.h[0] = h;
        let e = task_events(&v, 4, 10_000_000_000, 1_000_000_000_000).expect("figures");
        assert_eq!(e.waits, 3);
        assert_eq!(e.max_ns, Some(38_000_000));
        assert_eq!(e.p99_ns, Some(38_000_000));
        assert_eq!(e.max_at_unix_ns, Some(998_000_000_000));
        assert_eq!(e.cpu_ns, Some(vec![(1, 5), (3, 7)].into()));
        assert_eq!(e.migrations, 2);
    }

    #[test]
    fn an_exited_task_is_read_once_more_then_dropped() {
        let mut v = TaskVal::ZERO;
        v.h[1] = half(7);
        v.h[0] = half(6);
        v.flags = EXITED;
        // It exited in generation 7: read when 7 ends, dropped when 8 ends.
        assert!(!read_for_the_last_time(&v, 7, false));
        assert!(read_for_the_last_time(&v, 8, false));
        // A live task with no events stays (its state is needed at its next event).
        v.flags = 0;
        assert!(!read_for_the_last_time(&v, 9, true));
        // One /proc no longer lists goes once its last generation was read.
        assert!(read_for_the_last_time(&v, 9, false));
    }

    #[test]
    fn a_waker_is_named_only_with_a_proven_majority() {
        let mut v = TaskVal::ZERO;
        let mut h = half(2);
        h.wakings = 10;
        h.waker_tid = 4411;
        h.waker_votes = 1;
        h.waker_comm[..8].copy_from_slice(b"acceptor");
        // The candidate did 5 of 10: not more than half, so not named.
        h.waker_hits = 5;
        v.h[0] = h;
        assert_eq!(task_events(&v, 2, 0, 0).and_then(|e| e.woken_by), None);
        v.h[0].waker_hits = 6;
        let w = task_events(&v, 2, 0, 0).and_then(|e| e.woken_by);
        assert_eq!(
            w,
            Some(Waker {
                tid: 4411,
                comm: Comm::new(b"acceptor")
            })
        );
    }
}
