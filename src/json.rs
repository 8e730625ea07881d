//! `--json`: one snapshot with rates over one interval, for scripts and tests.
//! The field names are a stable interface, documented in README.md ("JSON output").

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::collect::waits::Source;
use crate::collect::{
    Group, Resource, Shares, Snapshot, TaskInfo, TaskIo, TaskKey, TaskRef, Unreadable,
};
use crate::model::why::{Breakdown, WaitingOn, Why};
use crate::model::{Model, Row, RowKind, ViewOptions};
use crate::text::{escape, escape_cmdline};

mod cgroups;

/// Bumped when a field changes meaning or disappears (adding fields does not bump it).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Output {
    pub schema_version: u32,
    /// Only from `threadtop replay --json`: which tick of the recording this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingTick>,
    pub interval_secs: Option<f64>,
    /// `"bpf"` when scheduling figures come from the kernel's tracepoints; `null` when
    /// not (then `events_unavailable` says why).
    pub events: Option<&'static str>,
    pub events_unavailable: Option<String>,
    /// Tasks the event source's kernel map had no room for since it loaded (null without
    /// events); in an interval with any refused, tasks without figures get `null` ones.
    pub events_maps_full: Option<u64>,
    /// Where the BPF programs were loaded (null without events, and in replays): see
    /// README, "Memory with the events on".
    pub events_loader: Option<EventsLoader>,
    /// Online CPUs, by id, with their place in the machine and busy % over the interval.
    pub cpus: Vec<Cpu>,
    pub system: System,
    pub processes: Vec<Process>,
    pub tasks: Vec<Task>,
    /// Every cgroup that holds a listed task (see README, "Containers and cgroups").
    pub cgroups: Vec<cgroups::Cgroup>,
    /// Why `cgroups` is empty and every task's `cgroup` null, when nothing was read.
    pub cgroups_unknown: Option<crate::collect::cgroup::Why>,
    /// The rows as the TUI would list them (tree order, after filter and sort).
    pub tree: Vec<TreeRow>,
    /// Thread pools (two or more threads of a process whose names differ only by
    /// numbers) of the listed processes, with their time breakdown and verdict.
    pub pools: Vec<Pool>,
}

#[derive(Serialize)]
pub struct Pool {
    pub tgid: u32,
    /// The name pattern, digits as `#` (`worker-#`), escaped.
    pub label: String,
    pub tids: Vec<u32>,
    pub breakdown: Option<Breakdown>,
    pub verdict: String,
}

#[derive(Serialize)]
pub struct Lock {
    /// The futex address the waiters are in (`0x7f2a5c000b28`).
    pub futex: String,
    pub waiters: Vec<u32>,
}

#[derive(Serialize)]
pub struct RecordingTick {
    /// 1 for the first tick, as the replay's time bar counts (`tick 15/40`).
    pub tick: usize,
    pub ticks: usize,
    /// Seconds from the first tick.
    pub offset_secs: f64,
    /// Wall-clock time the tick was taken, ns since the Unix epoch.
    pub unix_ns: u64,
    pub hostname: String,
}

#[derive(Serialize)]
pub struct System {
    pub load: Option<[f64; 3]>,
    pub memory_total_bytes: Option<u64>,
    pub memory_available_bytes: Option<u64>,
    pub uptime_secs: Option<f64>,
    pub processes: usize,
    pub tasks: usize,
    pub kernel_threads: usize,
    pub user_threads: usize,
    pub states: HashMap<&'static str, usize>,
    pub hidepid: bool,
    /// `"bpf_iterator"` or `"proc"`: where the per-task fields came from.
    pub task_source: &'static str,
    /// Why not the BPF task iterator, when it was asked for (`--events auto|on`).
    pub task_source_why_not: Option<String>,
    /// With `"bpf_iterator"`, which program: `"task_walk"` (one run follows the task
    /// list, kernel 6.7+) or `"iter_task"` (`iter/task`); else null.
    pub task_program: Option<&'static str>,
}

#[derive(Serialize)]
pub struct EventsLoader {
    /// `"child"`: a short-lived child process loaded them and handed the descriptors
    /// over; `"threadtop"`: this process loaded them (`why_not_child` says why).
    pub process: &'static str,
    pub child_pid: Option<u32>,
    /// The loading child's peak RSS, which threadtop's own never includes.
    pub child_peak_rss_bytes: Option<u64>,
    /// From starting the child to holding the descriptors.
    pub child_ms: Option<u64>,
    pub why_not_child: Option<String>,
}

impl EventsLoader {
    fn of(r: &crate::collect::events::handover::LoaderReport) -> Self {
        EventsLoader {
            process: if r.child.is_some() {
                "child"
            } else {
                "threadtop"
            },
            child_pid: r.child.map(|c| c.pid),
            child_peak_rss_bytes: r.child.and_then(|c| c.peak_rss_bytes),
            child_ms: r.child.map(|c| c.millis),
            why_not_child: r.why_not_child.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Cpu {
    pub id: u32,
    pub core: Option<u32>,
    pub package: Option<u32>,
    pub node: Option<u32>,
    pub usage_percent: Option<f64>,
}

#[derive(Serialize)]
pub struct Process {
    pub tgid: u32,
    pub ppid: u32,
    pub user: Option<String>,
    pub uid: Option<u32>,
    pub name: String,
    pub command: Option<String>,
    pub threads: usize,
    pub rss_bytes: u64,
    /// The address space's size (VIRT), from statm.
    pub virt_bytes: Option<u64>,
    /// Resident pages backed by files or shared memory (SHR), from statm.
    pub shared_bytes: Option<u64>,
    /// `rss_bytes` as % of the machine's memory (MEM%).
    pub mem_percent: Option<f64>,
    /// Why `virt_bytes` and `shared_bytes` are null: see `unknown_reason`.
    pub memory_unreadable: Option<&'static str>,
    pub kernel_thread: bool,
    pub cpu_percent: Option<f64>,
    /// The mean of its sampled tasks' breakdowns; null when none was sampled.
    pub breakdown: Option<Breakdown>,
    pub breakdown_source: Option<Source>,
    pub verdict: Option<String>,
    /// Its threads grouped by the futex they mostly waited on, biggest group first.
    pub locks: Vec<Lock>,
}

#[derive(Serialize)]
pub struct Task {
    pub tid: u32,
    pub tgid: u32,
    pub name: String,
    pub state: String,
    pub processor: Option<u32>,
    pub cpu_percent: Option<f64>,
    pub kernel_thread: bool,
    pub nice: i64,
    pub priority: i64,
    /// OTHER, BATCH, IDLE, FIFO, RR or DEADLINE.
    pub policy: &'static str,
    pub rt_priority: u32,
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    /// CPU time used since it started, user + system, seconds (htop's TIME+).
    pub time_secs: f64,
    /// Storage bytes read and written since it started (`/proc/TID/io`).
    pub io_read_bytes: Option<u64>,
    pub io_write_bytes: Option<u64>,
    /// Storage bytes per second over the interval.
    pub io_read_bytes_per_sec: Option<f64>,
    pub io_write_bytes_per_sec: Option<f64>,
    /// Why the I/O fields are null: see `unknown_reason`.
    pub io_unreadable: Option<&'static str>,
    pub start_ticks: u64,
    pub run_ns: Option<u64>,
    pub wait_ns: Option<u64>,
    pub timeslices: Option<u64>,
    pub voluntary_switches: Option<u64>,
    pub involuntary_switches: Option<u64>,
    pub switches_per_sec: Option<f64>,
    pub voluntary_switches_per_sec: Option<f64>,
    pub involuntary_switches_per_sec: Option<f64>,
    /// Time runnable but waiting for a CPU, as % of the interval.
    pub wait_percent: Option<f64>,
    /// Allowed CPUs as a kernel CPU list: `"0-3,8"`.
    pub affinity: Option<String>,
    /// Exact CPU migrations since the task started (`se.nr_migrations`), where the kernel has it.
    pub migrations: Option<u64>,
    /// Set when the task's stat could not be read; most fields are then meaningless.
    pub unreadable: Option<Unreadable>,
    /// One group per resource (`vm`, `files`, `fs`, `sighand`, `io`, `sysvsem` by kcmp; the
    /// namespaces by inode): equal ids = the same kernel object, across processes too.
    /// `"none"`: the task has no such object. `null`: unknown, see `shares_unknown`.
    pub shares: Option<JsonMap>,
    /// Why a `shares` entry is `null`, by resource.
    pub shares_unknown: Option<JsonMap>,
    /// The task's cgroup path as in /proc/TID/cgroup (v1: the cpu controller's).
    pub cgroup: Option<String>,
    /// Why `cgroup` is `null`.
    pub cgroup_unknown: Option<crate::collect::cgroup::Why>,
    /// Run-queue waits over the interval, from the events (null without them).
    pub latency_us: Option<Latency>,
    /// Time on each CPU over the interval, ms, by CPU id (`"other"`: CPUs beyond the four
    /// kept apart); null without events or when unknown (running since before they began).
    pub cpu_time_ms: Option<JsonMap>,
    /// The task that did more than half of this task's wakeups in the interval.
    pub woken_by: Option<WokenBy>,
    /// Exact migrations and switches over the interval, counted from the events.
    pub interval_migrations: Option<u32>,
    pub interval_voluntary_switches: Option<u32>,
    pub interval_involuntary_switches: Option<u32>,
    /// Wakeups over the interval by a task, and from interrupt context (timers, devices).
    pub interval_task_wakeups: Option<u32>,
    pub interval_interrupt_wakeups: Option<u32>,
    /// Where the interval went, percent: exact `running` and `runnable`, the off-CPU rest
    /// split by sampled reason. Null when unknown (`breakdown_unknown` says why).
    pub breakdown: Option<Breakdown>,
    /// `"sampled"` (or `"events"`); null with the breakdown.
    pub breakdown_source: Option<Source>,
    pub breakdown_unknown: Option<&'static str>,
    /// What it waited on most: `{kind, detail}`, null when it was not seen blocked.
    pub waiting_on: Option<WaitingOn>,
    /// One sentence: what the interval means ("busy: on CPU 97 %").
    pub verdict: Option<String>,
}

#[derive(Serialize)]
pub struct Latency {
    /// Waits that ended in the interval (a wakeup or preemption, then back on a CPU).
    pub count: u32,
    /// Upper bounds of the log-linear buckets (four per power of two) holding them.
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    /// The longest wait, exact, and when it ended (ns since the Unix epoch).
    pub max: Option<f64>,
    pub max_at: Option<u64>,
}

#[derive(Serialize)]
pub struct WokenBy {
    pub tid: u32,
    pub name: String,
}

/// The event fields of one task.
fn events_json(
    t: &TaskInfo,
    m: &Model,
) -> (
    Option<Latency>,
    Option<JsonMap>,
    Option<WokenBy>,
    [Option<u32>; 5],
) {
    let Some(e) = crate::model::events::of_task(&m.current.events, t) else {
        return (None, None, None, [None; 5]);
    };
    let us = |ns: u64| ns as f64 / 1000.0;
    let latency = Latency {
        count: e.waits,
        p50: e.p50_ns.map(us),
        p99: e.p99_ns.map(us),
        max: e.max_ns.map(us),
        max_at: e.max_at_unix_ns,
    };
    let cpu = e.cpu_ns.as_ref().map(|cpus| {
        let mut map: JsonMap = cpus
            .iter()
            .map(|(c, ns)| (c.to_string(), (*ns as f64 / 1e6).into()))
            .collect();
        if e.other_cpu_ns > 0 {
            map.insert("other".into(), (e.other_cpu_ns as f64 / 1e6).into());
        }
        map
    });
    let woken_by = e.woken_by.as_ref().map(|w| WokenBy {
        tid: w.tid,
        name: escape(&w.comm),
    });
    (
        Some(latency),
        cpu,
        woken_by,
        [
            Some(e.migrations),
            Some(e.voluntary),
            Some(e.involuntary),
            Some(e.wakings),
            Some(e.irq_wakings),
        ],
    )
}

#[derive(Serialize)]
pub struct TreeRow {
    pub kind: &'static str,
    pub tid: u32,
    pub tgid: u32,
    pub depth: u16,
}

type JsonMap = serde_json::Map<String, serde_json::Value>;

/// (`shares`, `shares_unknown`) of one task.
fn shares_json(sh: Option<&Shares>) -> (Option<JsonMap>, Option<JsonMap>) {
    use serde_json::Value;
    let Some(sh) = sh else { return (None, None) };
    let mut groups = serde_json::Map::new();
    let mut unknown = serde_json::Map::new();
    for r in Resource::ALL {
        let v = match sh.get(r) {
            Group::Id(id) => Value::from(id),
            Group::None => Value::from("none"),
            Group::Unknown(why) => {
                unknown.insert(
                    r.name().into(),
                    serde_json::to_value(why).unwrap_or(Value::Null),
                );
                Value::Null
            }
        };
        groups.insert(r.name().into(), v);
    }
    (Some(groups), (!unknown.is_empty()).then_some(unknown))
}

/// Why a field read on demand is null: `"denied"` (needs ptrace access: another user's
/// task), `"malformed"`, `"absent"` (the kernel has no such file), `"not_read"` (not asked
/// for, or not in a recording), `"no_descriptors"` (out of file descriptors: RLIMIT_NOFILE).
fn unknown_reason<T>(v: Option<&Result<T, Unreadable>>) -> Option<&'static str> {
    match v {
        None => Some("not_read"),
        Some(Ok(_)) => None,
        Some(Err(Unreadable::Denied)) => Some("denied"),
        Some(Err(Unreadable::Malformed)) => Some("malformed"),
        Some(Err(Unreadable::Absent)) => Some("absent"),
        Some(Err(Unreadable::NoDescriptors)) => Some("no_descriptors"),
    }
}

fn task(
    t: &TaskInfo,
    io: Option<&Result<TaskIo, Unreadable>>,
    m: &Model,
    shares: &HashMap<TaskKey, Shares>,
    why: &Why,
) -> Task {
    let w = why.tasks.get(&t.key());
    let breakdown = w.and_then(|w| w.breakdown);
    let breakdown_unknown = match w {
        Some(w) => w.unknown,
        None if breakdown.is_some() => None,
        None if m.interval_secs().is_none() => Some("no interval yet"),
        None if t.is_kernel_thread() => Some("kernel threads are not sampled"),
        None => Some(
            "not sampled (gone, or more tasks listed than the sampling budget allows: use -p or a filter)",
        ),
    };
    let (shares, shares_unknown) = shares_json(shares.get(&t.key()));
    let io_read = io;
    let io = io.and_then(|r| r.as_ref().ok());
    let io_rate = m.io_rates.get(&t.key());
    // Read now but not in the scan before (a task born in the interval): no rate yet.
    let io_unreadable =
        unknown_reason(io_read).or_else(|| io_rate.is_none().then_some("no_history"));
    let rate = m.rates.get(&t.key()).unwrap_or_default();
    let sched = t.schedstat.ok();
    let detail = t.detail().and_then(|d| d.as_ref().ok());
    let (cgroup, cgroup_unknown) = cgroups::task_cgroup(m, t.tgid, t.tid);
    let (latency_us, cpu_time_ms, woken_by, [mig, vol, invol, by_task, by_irq]) = events_json(t, m);
    Task {
        tid: t.tid,
        tgid: t.tgid,
        name: escape(&t.comm),
        state: (t.state as char).to_string(),
        processor: t.processor.map(u32::from),
        cpu_percent: rate.cpu_percent,
        kernel_thread: t.is_kernel_thread(),
        nice: i64::from(t.nice),
        priority: i64::from(t.priority),
        policy: crate::model::policy_name(u32::from(t.policy)),
        rt_priority: u32::from(t.rt_priority),
        utime_ticks: t.utime_ticks,
        stime_ticks: t.stime_ticks,
        time_secs: (t.utime_ticks + t.stime_ticks) as f64 / m.current.clk_tck.max(1) as f64,
        io_read_bytes: io.map(|i| i.read_bytes),
        io_write_bytes: io.map(|i| i.write_bytes),
        io_read_bytes_per_sec: io_rate.map(|r| r.read_bytes_per_sec),
        io_write_bytes_per_sec: io_rate.map(|r| r.write_bytes_per_sec),
        io_unreadable,
        start_ticks: t.start_ticks,
        run_ns: sched.map(|s| s.run_ns),
        wait_ns: sched.map(|s| s.wait_ns),
        timeslices: sched.map(|s| s.timeslices),
        voluntary_switches: detail.map(|d| d.voluntary_switches),
        involuntary_switches: detail.map(|d| d.involuntary_switches),
        switches_per_sec: rate.switches_per_sec,
        voluntary_switches_per_sec: rate.voluntary_per_sec,
        involuntary_switches_per_sec: rate.involuntary_per_sec,
        wait_percent: rate.wait_percent,
        affinity: detail.map(|d| d.cpus_allowed.clone()),
        migrations: t.migrations().and_then(|m| m.ok()),
        unreadable: t.stat_error,
        shares,
        shares_unknown,
        cgroup,
        cgroup_unknown,
        latency_us,
        cpu_time_ms,
        woken_by,
        interval_migrations: mig,
        interval_voluntary_switches: vol,
        interval_involuntary_switches: invol,
        interval_task_wakeups: by_task,
        interval_interrupt_wakeups: by_irq,
        breakdown,
        breakdown_source: w.and_then(|w| w.source),
        breakdown_unknown,
        waiting_on: w.and_then(|w| w.waiting_on.clone()),
        verdict: w.map(|w| w.verdict.clone()),
    }
}

fn state_name(s: u8) -> &'static str {
    match s {
        b'R' => "R",
        b'S' => "S",
        b'D' => "D",
        b'I' => "I",
        b'T' => "T",
        b't' => "t",
        b'Z' => "Z",
        b'X' => "X",
        b'P' => "P",
        _ => "?",
    }
}

/// Which tasks the view shows, by process: `None` = all of them; a process matched only
/// through some of its threads (or shown as pool rows) contributes only those.
fn shown(m: &Model, rows: &[Row]) -> HashMap<u32, Option<HashSet<u32>>> {
    // Which tasks the view shows: a process matched only through some of its threads
    // contributes only those threads.
    let mut shown: HashMap<u32, Option<HashSet<u32>>> = HashMap::new();
    for r in rows {
        match r.kind {
            RowKind::Process => {
                shown.entry(r.tgid).or_insert(None);
            }
            RowKind::Pool => {
                // A folded pool stands for all its members.
                let members = m
                    .current
                    .processes
                    .iter()
                    .filter(|p| p.tgid == r.tgid)
                    .flat_map(|p| crate::model::view::pool_members(p, &r.name))
                    .map(|t| t.tid);
                shown
                    .entry(r.tgid)
                    .or_insert(None)
                    .get_or_insert_with(HashSet::new)
                    .extend(members);
            }
            // Its tasks are listed by their own rows.
            RowKind::Cgroup => {}
            RowKind::Thread => {
                shown
                    .entry(r.tgid)
                    .or_insert(None)
                    .get_or_insert_with(HashSet::new)
                    .insert(r.tid);
            }
        }
    }
    shown
}

/// The tasks `--json` will list, for the caller to compare (kcmp) before `build`.
pub fn tasks_shown(m: &Model, opts: &ViewOptions) -> Vec<TaskRef> {
    let shown = shown(m, &m.rows(opts));
    m.current
        .processes
        .iter()
        .filter_map(|p| shown.get(&p.tgid).map(|only| (p, only)))
        .flat_map(|(p, only)| {
            p.tasks
                .iter()
                .filter(move |t| only.as_ref().is_none_or(|s| s.contains(&t.tid)))
        })
        .filter(|t| t.stat_error.is_none())
        .map(TaskRef::of)
        .collect()
}

pub fn build(m: &Model, opts: &ViewOptions, shares: &HashMap<TaskKey, Shares>) -> Output {
    let rows: Vec<Row> = m.rows(opts);
    let snap: &Snapshot = &m.current;
    let shown = shown(m, &rows);
    // The model's analysis, the one the screen shows (computed once per tick).
    let why = &m.why;
    let mut pools = Vec::new();
    let mut processes = Vec::new();
    let mut tasks = Vec::new();
    for p in &snap.processes {
        let Some(only) = shown.get(&p.tgid) else {
            continue;
        };
        let pw = why.processes.get(&p.tgid);
        let cpu: Vec<f64> = p
            .tasks
            .iter()
            .filter_map(|t| m.rates.get(&t.key()).and_then(|r| r.cpu_percent))
            .collect();
        let statm = p.statm.and_then(|r| r.ok());
        processes.push(Process {
            tgid: p.tgid,
            ppid: p.ppid,
            user: p.user.clone(),
            uid: p.uid,
            name: p.tasks.first().map(|t| escape(&t.comm)).unwrap_or_default(),
            command: p.cmdline.as_ref().ok().map(|c| escape_cmdline(c)),
            threads: p.tasks.len(),
            rss_bytes: p.rss_bytes,
            virt_bytes: statm.map(|s| s.size_pages * snap.page_size),
            shared_bytes: statm.map(|s| s.shared_pages * snap.page_size),
            mem_percent: snap
                .system
                .mem
                .filter(|m| m.total_bytes > 0)
                .map(|m| p.rss_bytes as f64 * 100.0 / m.total_bytes as f64),
            memory_unreadable: unknown_reason(p.statm.as_ref()),
            kernel_thread: p.is_kernel(),
            cpu_percent: (!cpu.is_empty()).then(|| {
                cpu.iter()
                    .sum::<f64>()
                    .min(crate::model::view::cpu_cap(snap))
            }),
            breakdown: pw.and_then(|w| w.breakdown),
            breakdown_source: pw.and_then(|w| w.breakdown.and(why.source)),
            verdict: pw.map(|w| w.verdict.clone()),
            locks: pw
                .map(|w| {
                    w.locks
                        .iter()
                        .map(|l| Lock {
                            futex: l.futex.clone(),
                            waiters: l.waiters.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
        if let Some(w) = pw {
            pools.extend(w.pools.iter().map(|p| Pool {
                tgid: p.tgid,
                label: p.label.clone(),
                tids: p.tids.clone(),
                breakdown: p.breakdown,
                verdict: p.verdict.clone(),
            }));
        }
        for t in &p.tasks {
            if only.as_ref().is_none_or(|s| s.contains(&t.tid)) {
                tasks.push(task(t, p.io_of(t.tid), m, shares, why));
            }
        }
    }
    let mut states: HashMap<&'static str, usize> = HashMap::new();
    for t in snap.tasks() {
        *states.entry(state_name(t.state)).or_default() += 1;
    }
    let s = &m.summary;
    Output {
        schema_version: SCHEMA_VERSION,
        recording: None,
        interval_secs: m.interval_secs(),
        events: snap.events.tick().map(|_| "bpf"),
        events_unavailable: snap.events.unavailable().map(str::to_owned),
        events_maps_full: snap.events.tick().map(|t| t.maps_full),
        events_loader: snap
            .events
            .tick()
            .and_then(|t| t.loader.as_deref())
            .map(EventsLoader::of),
        cpus: m
            .cpus
            .iter()
            .map(|(id, usage)| {
                let topo = snap.system.topology.iter().find(|c| c.id == *id);
                Cpu {
                    id: *id,
                    core: topo.and_then(|c| c.core),
                    package: topo.and_then(|c| c.package),
                    node: topo.and_then(|c| c.node),
                    usage_percent: *usage,
                }
            })
            .collect(),
        system: System {
            load: snap.system.load,
            memory_total_bytes: snap.system.mem.map(|x| x.total_bytes),
            memory_available_bytes: snap.system.mem.map(|x| x.available_bytes),
            uptime_secs: snap.system.uptime_secs,
            processes: s.processes,
            tasks: s.tasks,
            kernel_threads: s.kernel_threads,
            user_threads: s.user_threads,
            states,
            hidepid: snap.notes.hidepid,
            task_source: match snap.task_source {
                crate::collect::task_iter::TaskSource::Iterator(_) => "bpf_iterator",
                _ => "proc",
            },
            task_source_why_not: snap.task_source.why_not().map(str::to_owned),
            task_program: match snap.task_source {
                crate::collect::task_iter::TaskSource::Iterator(kind) => Some(kind.json_name()),
                _ => None,
            },
        },
        processes,
        cgroups: cgroups::cgroups(m, tasks.iter().map(|t| (t.tgid, t.tid))),
        cgroups_unknown: snap.cgroups.unavailable,
        tasks,
        tree: rows
            .iter()
            .map(|r| TreeRow {
                kind: match r.kind {
                    RowKind::Process => "process",
                    RowKind::Thread => "thread",
                    RowKind::Pool => "pool",
                    RowKind::Cgroup => "cgroup",
                },
                tid: r.tid,
                tgid: r.tgid,
                depth: r.depth,
            })
            .collect(),
        pools,
    }
}
