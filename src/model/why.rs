//! Why it is slow: where each task's, process's and pool's time went over the last interval
//! (shares summing to 100 %), what it waits on, and lock convoys. Pure: from a snapshot,
//! its rates and the wait samples the collector attached (`Snapshot::waits`).
//!
//! Running and waiting for a CPU are exact (schedstat deltas). The rest of the interval,
//! off a CPU, is split by the scheduling events' exact off-CPU time by reason where they
//! saw the task go off a CPU (`breakdown_source` `"events"`), else by the share of off-CPU
//! samples in each reason (`"sampled"`): with 10 samples a second a share is known to about
//! ±15 points, with 50 to about ±7 (binomial, 95 %).

use std::collections::HashMap;

use serde::Serialize;

use crate::collect::waits::{FdWhat, Reason, Source, Target, TaskSamples};
use crate::collect::{ProcessInfo, Snapshot, TaskInfo, TaskKey};
use crate::model::rates::{Rates, TaskRate};
use crate::text::escape;

use super::cgroups::CgroupRate;
use super::verdict::{self, Crowd, Facts, LockFacts};

/// Percent of the interval, by where the time went. `throttled` is the part of `runnable`
/// its cgroup was throttled (null until cgroup facts are joined, see [`Throttle`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Breakdown {
    pub running: f64,
    pub runnable: f64,
    pub throttled: Option<f64>,
    pub lock: f64,
    pub io: f64,
    pub fd_wait: f64,
    pub sleep: f64,
    pub stopped: f64,
    pub other: f64,
}

impl Breakdown {
    /// The off-CPU share of one reason.
    pub fn off(&self, r: Reason) -> f64 {
        match r {
            Reason::Lock => self.lock,
            Reason::Io => self.io,
            Reason::FdWait => self.fd_wait,
            Reason::Sleep => self.sleep,
            Reason::Stopped => self.stopped,
            Reason::Other => self.other,
        }
    }

    fn off_mut(&mut self, r: Reason) -> &mut f64 {
        match r {
            Reason::Lock => &mut self.lock,
            Reason::Io => &mut self.io,
            Reason::FdWait => &mut self.fd_wait,
            Reason::Sleep => &mut self.sleep,
            Reason::Stopped => &mut self.stopped,
            Reason::Other => &mut self.other,
        }
    }

    /// The biggest off-CPU reason and its share.
    pub fn main_off(&self) -> (Reason, f64) {
        Reason::ALL
            .iter()
            .map(|&r| (r, self.off(r)))
            .fold((Reason::Other, -1.0), |a, b| if b.1 > a.1 { b } else { a })
    }

    pub fn total(&self) -> f64 {
        self.running + self.runnable + Reason::ALL.iter().map(|&r| self.off(r)).sum::<f64>()
    }

    /// The mean of several tasks' breakdowns over the same interval (a pool's, a
    /// process's): each sums to 100, so the mean does too. `throttled` stays null unless
    /// every member has it.
    pub fn mean(parts: &[Breakdown]) -> Option<Breakdown> {
        if parts.is_empty() {
            return None;
        }
        let n = parts.len() as f64;
        let avg = |f: fn(&Breakdown) -> f64| parts.iter().map(f).sum::<f64>() / n;
        let throttled = parts
            .iter()
            .map(|b| b.throttled)
            .sum::<Option<f64>>()
            .map(|s| s / n);
        Some(Breakdown {
            running: avg(|b| b.running),
            runnable: avg(|b| b.runnable),
            throttled,
            lock: avg(|b| b.lock),
            io: avg(|b| b.io),
            fd_wait: avg(|b| b.fd_wait),
            sleep: avg(|b| b.sleep),
            stopped: avg(|b| b.stopped),
            other: avg(|b| b.other),
        })
    }
}

/// One part of a breakdown, in the order a stacked bar draws them (on a CPU first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Running,
    Runnable,
    Lock,
    Io,
    FdWait,
    Sleep,
    Stopped,
    Other,
}

impl Part {
    pub const ALL: [Part; 8] = [
        Part::Running,
        Part::Runnable,
        Part::Lock,
        Part::Io,
        Part::FdWait,
        Part::Sleep,
        Part::Stopped,
        Part::Other,
    ];

    /// The JSON key, also the legend's word.
    pub fn name(self) -> &'static str {
        match self {
            Part::Running => "running",
            Part::Runnable => "runnable",
            Part::Lock => "lock",
            Part::Io => "io",
            Part::FdWait => "fd_wait",
            Part::Sleep => "sleep",
            Part::Stopped => "stopped",
            Part::Other => "other",
        }
    }

    /// A distinct ASCII letter per part, for bars in ASCII mode and without colour.
    pub fn ascii(self) -> char {
        match self {
            Part::Running => 'R',
            Part::Runnable => 'q',
            Part::Lock => 'L',
            Part::Io => 'D',
            Part::FdWait => 'f',
            Part::Sleep => 's',
            Part::Stopped => 'T',
            Part::Other => '.',
        }
    }
}

impl Breakdown {
    pub fn part(&self, p: Part) -> f64 {
        match p {
            Part::Running => self.running,
            Part::Runnable => self.runnable,
            Part::Lock => self.lock,
            Part::Io => self.io,
            Part::FdWait => self.fd_wait,
            Part::Sleep => self.sleep,
            Part::Stopped => self.stopped,
            Part::Other => self.other,
        }
    }

    /// Cells of a stacked bar `width` wide: every part its share, rounded so the cells add
    /// up to `width` exactly (largest remainders first), zero-width parts left out.
    pub fn segments(&self, width: u16) -> Vec<(Part, u16)> {
        let total = self.total();
        if total <= 0.0 || width == 0 {
            return Vec::new();
        }
        let exact: Vec<f64> = Part::ALL
            .iter()
            .map(|&p| self.part(p).max(0.0) * f64::from(width) / total)
            .collect();
        let mut cells: Vec<u16> = exact.iter().map(|x| x.floor() as u16).collect();
        let mut left = width.saturating_sub(cells.iter().sum());
        let mut order: Vec<usize> = (0..exact.len()).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor()))
        });
        for i in order {
            if left == 0 {
                break;
            }
            if exact[i] > 0.0 {
                cells[i] += 1;
                left -= 1;
            }
        }
        Part::ALL
            .iter()
            .zip(cells)
            .filter(|(_, n)| *n > 0)
            .map(|(&p, n)| (p, n))
            .collect()
    }

    /// What a "why" sort orders by: the share of the biggest thing it waits for (a CPU or
    /// an off-CPU reason); on a CPU the whole time sorts last.
    pub fn waiting_share(&self) -> f64 {
        self.runnable.max(self.main_off().1)
    }
}

/// The cgroup's part, joined in by the cgroup facts when they exist: the share of the
/// interval the task's cgroup was throttled while it waited, and its quota in CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Throttle {
    pub percent: f64,
    pub quota_cpus: Option<f64>,
}

/// Where `analyze` finds a task's [`Throttle`]: a map by task (tests), or the cgroup facts
/// ([`CgroupThrottles`]).
pub trait ThrottleOf {
    fn throttle_of(&self, tgid: u32, t: &TaskInfo) -> Option<Throttle>;
}

impl ThrottleOf for HashMap<TaskKey, Throttle> {
    fn throttle_of(&self, _tgid: u32, t: &TaskInfo) -> Option<Throttle> {
        self.get(&t.key()).copied()
    }
}

/// The cgroup facts as each task's [`Throttle`]: the time its cgroup's run queues spent
/// throttled (`cpu.stat`, summed over CPUs as the kernel counts it) divided among the
/// cgroup's busy tasks, as many as its cpuset lets run at once. Two busy threads in a
/// 0.5 CPU cgroup on two CPUs: the cgroup was throttled 179 % of one CPU over 3 s (each
/// queue about 90 %), and each thread's schedstat wait, which counts the throttled time
/// (measured on 6.18, v1 `cpu`), was about as long. `null` where the cgroup or its
/// counters are unknown.
pub struct CgroupThrottles<'a> {
    snap: &'a Snapshot,
    /// By cgroup (index in `snap.cgroups.groups`).
    per_group: Vec<Option<Throttle>>,
}

impl<'a> CgroupThrottles<'a> {
    pub fn new(snap: &'a Snapshot, rates: &Rates, cgroup_rates: &[CgroupRate]) -> Self {
        let cg = &snap.cgroups;
        let mut busy = vec![0usize; cg.groups.len()];
        // Only a throttled cgroup needs its busy tasks counted (a pass over every task).
        if cgroup_rates
            .iter()
            .any(|r| r.throttled_percent.is_ok_and(|p| p > 0.0))
        {
            for p in &snap.processes {
                for t in &p.tasks {
                    if let Ok(i) = cg.index_of(p.tgid, t.tid)
                        && let Some(n) = busy.get_mut(i as usize)
                        && super::cgroups::is_busy(t, rates)
                    {
                        *n += 1;
                    }
                }
            }
        }
        let per_group = cg
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let percent = cgroup_rates.get(i)?.throttled_percent.ok()?;
                let cpus = g
                    .cpuset
                    .as_deref()
                    .ok()
                    .and_then(crate::collect::parse_cpu_list)
                    .map_or(usize::MAX, |c| c.len().max(1));
                let want = busy.get(i).copied().unwrap_or(0).min(cpus).max(1);
                Some(Throttle {
                    percent: percent / want as f64,
                    quota_cpus: g.limit.ok().flatten().map(|l| l.cpus()),
                })
            })
            .collect();
        CgroupThrottles { snap, per_group }
    }
}

impl ThrottleOf for CgroupThrottles<'_> {
    fn throttle_of(&self, tgid: u32, t: &TaskInfo) -> Option<Throttle> {
        let i = self.snap.cgroups.index_of(tgid, t.tid).ok()?;
        self.per_group.get(i as usize).copied().flatten()
    }
}

/// How a task's time off a CPU divides among the reasons: sampled rounds, or ns from the
/// scheduling events (index: `Reason as usize`). Only the proportions matter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffSplit {
    pub weights: [f64; Reason::COUNT],
    pub source: Source,
}

impl OffSplit {
    pub fn sampled(s: &TaskSamples) -> OffSplit {
        OffSplit {
            weights: s.off.map(f64::from),
            source: Source::Sampled,
        }
    }

    /// From the events, for a task they saw in the tick that was never off a CPU.
    pub fn none_seen() -> OffSplit {
        OffSplit {
            weights: [0.0; Reason::COUNT],
            source: Source::Events,
        }
    }

    /// From the events, when they saw the task off a CPU in the tick at all.
    pub fn from_events(off_ns: &[u64; Reason::COUNT]) -> Option<OffSplit> {
        (off_ns.iter().sum::<u64>() > 0).then(|| OffSplit {
            weights: off_ns.map(|n| n as f64),
            source: Source::Events,
        })
    }
}

/// The breakdown of one task: exact running and runnable from the rates, the rest split as
/// `split` says. `None` without rates (first tick, unreadable schedstat) or a split.
pub fn task_breakdown(
    rate: &TaskRate,
    split: Option<&OffSplit>,
    throttle: Option<Throttle>,
) -> Option<Breakdown> {
    let running = rate.cpu_percent?;
    let runnable = rate.wait_percent?;
    let split = split?;
    // Rounding (ticks vs ns, two reads of a clock) can push the two past 100: scale down.
    let on = running + runnable;
    let (running, runnable) = if on > 100.0 {
        (running * 100.0 / on, runnable * 100.0 / on)
    } else {
        (running, runnable)
    };
    let off = (100.0 - running - runnable).max(0.0);
    let mut b = Breakdown {
        running,
        runnable,
        throttled: throttle.map(|t| t.percent.min(runnable)),
        ..Breakdown::default()
    };
    let seen: f64 = split.weights.iter().sum();
    if seen <= 0.0 {
        // Off a CPU between samples only: the reason was never seen.
        b.other = off;
    } else {
        for r in Reason::ALL {
            *b.off_mut(r) = off * split.weights[r as usize] / seen;
        }
    }
    Some(b)
}

/// What a task waits on, for JSON (`kind`: futex, fd, sleep, io, other) and the screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitingOn {
    pub kind: &'static str,
    pub detail: String,
}

/// The object a task waited on most in the interval, in words; hostile bytes (paths,
/// wchan) escaped. `None` when it was never seen blocked.
pub fn waiting_on(s: &TaskSamples) -> Option<WaitingOn> {
    if s.off_total() == 0 {
        return None;
    }
    let t = s.main_target()?;
    Some(match t {
        Target::Futex(addr) => WaitingOn {
            kind: "futex",
            detail: format!("futex {addr:#x}"),
        },
        Target::Fd { syscall, fd, what } => WaitingOn {
            kind: "fd",
            detail: format!(
                "{} on fd {fd}: {}",
                escape(syscall.as_bytes()),
                fd_words(what)
            ),
        },
        Target::Sleep { ns, absolute } => WaitingOn {
            kind: "sleep",
            detail: match (ns, absolute) {
                (_, true) => "sleeping until a set time".into(),
                (Some(ns), false) => format!("sleeping {} at a time", duration_words(*ns)),
                (None, false) => "sleeping (length not readable)".into(),
            },
        },
        Target::Io { wchan } => WaitingOn {
            kind: "io",
            detail: format!("uninterruptible, in {}", wchan_words(wchan)),
        },
        Target::Stopped => WaitingOn {
            kind: "other",
            detail: "stopped (a signal or a debugger)".into(),
        },
        Target::Other { syscall, wchan } => WaitingOn {
            kind: "other",
            detail: match syscall {
                Some(n) => format!("in {}", escape(n.as_bytes())),
                None => format!("not in a system call, in {}", wchan_words(wchan)),
            },
        },
        Target::NeedsPtrace { wchan } => WaitingOn {
            kind: match crate::collect::waits::classify::reason_from_wchan(wchan) {
                Reason::Lock => "futex",
                Reason::FdWait => "fd",
                Reason::Sleep => "sleep",
                _ => "other",
            },
            detail: match wchan.trim_ascii() {
                // Without ptrace access the kernel hides wchan too (it writes `0`).
                b"" | b"0" => "unknown (needs ptrace access)".into(),
                w => format!("unknown (needs ptrace access); in {}", escape(w)),
            },
        },
    })
}

fn wchan_words(wchan: &[u8]) -> String {
    let w = wchan.trim_ascii();
    if w.is_empty() || w == b"0" {
        "the kernel (wchan not given)".into()
    } else {
        escape(w)
    }
}

fn fd_words(what: &FdWhat) -> String {
    match what {
        FdWhat::Link { link, tcp: Some(t) } => format!("{} ({t})", escape(link)),
        FdWhat::Link { link, tcp: None } => escape(link),
        FdWhat::Closed => "closed before it could be looked up".into(),
        FdWhat::Denied => "unknown (needs ptrace access)".into(),
    }
}

/// `100 ms`, `2.5 s`, `250 µs`.
pub fn duration_words(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{} s", trim(ns as f64 / 1e9))
    } else if ns >= 1_000_000 {
        format!("{} ms", trim(ns as f64 / 1e6))
    } else {
        format!("{} µs", trim(ns as f64 / 1e3))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_owned)
}

/// Threads of one process seen waiting on one futex address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockGroup {
    pub futex: String,
    pub waiters: Vec<u32>,
    /// Of the waiters and their pool mates, the one on a CPU most (escaped name).
    #[serde(skip)]
    pub busiest: Option<(u32, String)>,
}

/// One task's analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskWhy {
    pub breakdown: Option<Breakdown>,
    /// Why `breakdown` is `None`.
    pub unknown: Option<&'static str>,
    pub source: Option<Source>,
    pub waiting_on: Option<WaitingOn>,
    pub verdict: String,
}

/// Threads of one process whose names differ only by numbers, with two or more members.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolWhy {
    pub tgid: u32,
    pub label: String,
    pub tids: Vec<u32>,
    pub breakdown: Option<Breakdown>,
    pub verdict: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProcessWhy {
    pub breakdown: Option<Breakdown>,
    pub verdict: String,
    /// Biggest group first.
    pub locks: Vec<LockGroup>,
    pub pools: Vec<PoolWhy>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Why {
    /// Where the off-CPU split came from; `None`: nothing was sampled.
    pub source: Option<Source>,
    pub tasks: HashMap<TaskKey, TaskWhy>,
    pub processes: HashMap<u32, ProcessWhy>,
}

/// The pools of a process as the breakdowns group them: model/pools.rs's grouping (all
/// threads but the main one, by the names programs give them), the one place that decides
/// it. Unlike the tree, which folds pools only in processes of `POOL_MIN_THREADS` threads
/// or more, any process's pools are analysed: a pool of 4 can be slow too.
pub fn pools_of(p: &ProcessInfo) -> Vec<(String, Vec<&TaskInfo>)> {
    let tasks: Vec<&TaskInfo> = p.tasks.iter().filter(|t| t.tid != p.tgid).collect();
    let names: Vec<String> = tasks.iter().map(|t| escape(&t.comm)).collect();
    super::pools::group(&names)
        .into_iter()
        .filter(|g| g.members.len() >= 2)
        .map(|g| {
            let members = g
                .members
                .iter()
                .filter_map(|&i| tasks.get(i).copied())
                .collect();
            (g.label, members)
        })
        .collect()
}

/// Analyses every process with a sampled task. `throttle`: the cgroup facts by task, when
/// known (empty until the cgroup facts are joined).
pub fn analyze(
    snap: &Snapshot,
    rates: &Rates,
    interval_secs: Option<f64>,
    throttle: &impl ThrottleOf,
) -> Why {
    // The events' off-CPU split, where they ran for the whole tick and missed no task.
    let events = snap
        .events
        .tick()
        .filter(|t| t.interval_ns.is_some() && t.refused_in_tick == 0);
    let none = crate::collect::waits::WaitSamples::default();
    let waits = match (snap.waits.as_deref(), events) {
        (Some(w), _) => w,
        // Nothing sampled (more tasks than the budget allows), but the events saw them.
        (None, Some(_)) => &none,
        (None, None) => return Why::default(),
    };
    let crowds = busy_by_cpu(snap, rates);
    let mut out = Why {
        source: Some(if events.is_some() {
            Source::Events
        } else {
            Source::Sampled
        }),
        ..Why::default()
    };
    for p in &snap.processes {
        // With the events every process (they saw every task); else the sampled ones.
        if events.is_none() && !p.tasks.iter().any(|t| waits.tasks.contains_key(&t.key())) {
            continue;
        }
        let mut parts = Vec::new();
        let mut per_task: Vec<(&TaskInfo, Option<Breakdown>, Option<&TaskSamples>)> = Vec::new();
        let mut sources = Vec::new();
        for t in &p.tasks {
            let s = waits.tasks.get(&t.key());
            // The events' exact off-CPU time when they saw the task off a CPU; else the
            // samples.
            let seen = events.and_then(|e| e.tasks.get(&t.key()));
            let split = seen
                .as_ref()
                .and_then(|e| OffSplit::from_events(&e.off_ns))
                .or_else(|| s.map(OffSplit::sampled))
                // Seen by the events this tick and never off a CPU in it (busy, or only
                // preempted): none of the interval went to an off-CPU reason.
                .or_else(|| seen.map(|_| OffSplit::none_seen()));
            let th = throttle.throttle_of(p.tgid, t);
            let b = rates
                .get(&t.key())
                .and_then(|r| task_breakdown(&r, split.as_ref(), th));
            parts.extend(b);
            sources.push(b.and(split.map(|x| x.source)));
            per_task.push((t, b, s));
        }
        let locks = lock_groups(p, &per_task);
        let quota = |t: &TaskInfo| throttle.throttle_of(p.tgid, t).and_then(|x| x.quota_cpus);
        for ((t, b, s), source) in per_task.iter().zip(&sources) {
            let w = s.and_then(waiting_on);
            let lock = s
                .and_then(|s| s.main_target())
                .and_then(|tg| match tg {
                    Target::Futex(a) => locks.iter().find(|g| g.futex == format!("{a:#x}")),
                    _ => None,
                })
                .map(|g| LockFacts {
                    waiters: g.waiters.len(),
                    of: 1,
                    futex: g.futex.clone(),
                    busiest: g.busiest.as_ref().map(|x| x.1.clone()),
                });
            let facts = Facts {
                breakdown: b.as_ref(),
                interval_secs,
                members: 1,
                waiting_on: w.as_ref(),
                lock,
                crowd: t.processor.and_then(|c| crowd(&crowds, u32::from(c))),
                quota_cpus: quota(t),
            };
            let verdict = verdict::verdict(&facts);
            let has_rates = rates
                .get(&t.key())
                .is_some_and(|r| r.cpu_percent.is_some() && r.wait_percent.is_some());
            let unknown = b.is_none().then_some(if !has_rates {
                "no run time figures (first interval, or schedstat unreadable)"
            } else {
                "not sampled, and no events for it"
            });
            out.tasks.insert(
                t.key(),
                TaskWhy {
                    breakdown: *b,
                    unknown,
                    source: *source,
                    waiting_on: w,
                    verdict,
                },
            );
        }
        let group_verdict = |members: &[&TaskInfo], b: Option<&Breakdown>| {
            let tids: Vec<u32> = members.iter().map(|t| t.tid).collect();
            let lock = locks
                .iter()
                .map(|g| (g, g.waiters.iter().filter(|w| tids.contains(w)).count()))
                .filter(|(_, n)| *n >= 2)
                .max_by_key(|(_, n)| *n)
                .map(|(g, n)| LockFacts {
                    waiters: n,
                    of: members.len(),
                    futex: g.futex.clone(),
                    busiest: g.busiest.as_ref().map(|x| x.1.clone()),
                });
            // The CPU most of the starved members share.
            let mut cpus: HashMap<u32, usize> = HashMap::new();
            for t in members {
                if let Some(c) = t.processor {
                    *cpus.entry(u32::from(c)).or_default() += 1;
                }
            }
            let cpu = cpus
                .into_iter()
                .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)));
            let mains: Vec<WaitingOn> = members
                .iter()
                .filter_map(|t| waits.tasks.get(&t.key()).and_then(waiting_on))
                .collect();
            let common = most_common(&mains);
            verdict::verdict(&Facts {
                breakdown: b,
                interval_secs,
                members: members.len(),
                waiting_on: common.as_ref(),
                lock,
                crowd: cpu.and_then(|(c, _)| crowd(&crowds, c)),
                quota_cpus: members.first().and_then(|t| quota(t)),
            })
        };
        let pools: Vec<PoolWhy> = pools_of(p)
            .into_iter()
            .map(|(label, members)| {
                let parts: Vec<Breakdown> = members
                    .iter()
                    .filter_map(|t| out.tasks.get(&t.key()).and_then(|w| w.breakdown))
                    .collect();
                let b = Breakdown::mean(&parts);
                PoolWhy {
                    tgid: p.tgid,
                    verdict: group_verdict(&members, b.as_ref()),
                    tids: members.iter().map(|t| t.tid).collect(),
                    label,
                    breakdown: b,
                }
            })
            .collect();
        let all: Vec<&TaskInfo> = p.tasks.iter().collect();
        let b = Breakdown::mean(&parts);
        let verdict = group_verdict(&all, b.as_ref());
        out.processes.insert(
            p.tgid,
            ProcessWhy {
                breakdown: b,
                verdict,
                locks,
                pools,
            },
        );
    }
    out
}

/// `analyze` for a model's latest interval, with its cgroups' throttling.
pub fn of_model(m: &super::Model) -> Why {
    let throttle = CgroupThrottles::new(&m.current, &m.rates, &m.cgroups);
    analyze(&m.current, &m.rates, m.interval_secs(), &throttle)
}

fn most_common(v: &[WaitingOn]) -> Option<WaitingOn> {
    let mut best: Option<(&WaitingOn, usize)> = None;
    for w in v {
        let n = v.iter().filter(|x| x.kind == w.kind).count();
        if best.is_none_or(|b| n > b.1) {
            best = Some((w, n));
        }
    }
    best.map(|b| b.0.clone())
}

/// Tasks busy (on a CPU or waiting for one at least half the interval), by the CPU they
/// last ran on.
fn busy_by_cpu(snap: &Snapshot, rates: &Rates) -> HashMap<u32, usize> {
    let mut out = HashMap::new();
    for t in snap.tasks() {
        let Some(r) = rates.get(&t.key()) else {
            continue;
        };
        let busy = r.cpu_percent.unwrap_or(0.0) + r.wait_percent.unwrap_or(0.0);
        if busy >= 50.0
            && let Some(c) = t.processor
        {
            *out.entry(u32::from(c)).or_default() += 1;
        }
    }
    out
}

fn crowd(by_cpu: &HashMap<u32, usize>, cpu: u32) -> Option<Crowd> {
    let n = *by_cpu.get(&cpu)?;
    (n >= 2).then_some(Crowd { cpu, busy: n })
}

/// Tasks whose main wait was one futex, grouped by address (biggest group first).
fn lock_groups(
    p: &ProcessInfo,
    per_task: &[(&TaskInfo, Option<Breakdown>, Option<&TaskSamples>)],
) -> Vec<LockGroup> {
    let mut by: Vec<(u64, Vec<u32>)> = Vec::new();
    for (t, b, s) in per_task {
        let Some(Target::Futex(addr)) = s.and_then(|s| s.main_target()) else {
            continue;
        };
        // Only a wait that took a real part of the interval makes a thread a waiter.
        if b.is_none_or(|b| b.lock < 10.0) {
            continue;
        }
        match by.iter_mut().find(|(a, _)| a == addr) {
            Some((_, v)) => v.push(t.tid),
            None => by.push((*addr, vec![t.tid])),
        }
    }
    by.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let pools = pools_of(p);
    by.into_iter()
        .map(|(addr, waiters)| {
            // The waiters' pool mates too: the holder is often running, not waiting.
            let mut near: Vec<u32> = waiters.clone();
            for (_, members) in &pools {
                if members.iter().any(|m| waiters.contains(&m.tid)) {
                    near.extend(members.iter().map(|m| m.tid));
                }
            }
            let busiest = per_task
                .iter()
                .filter(|x| near.contains(&x.0.tid))
                .filter_map(|x| x.1.map(|b| (x.0, b.running)))
                .filter(|(_, r)| *r > 0.0)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(t, _)| (t.tid, escape(&t.comm)));
            LockGroup {
                futex: format!("{addr:#x}"),
                waiters,
                busiest,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_cells_add_up_to_the_width() {
        let b = Breakdown {
            running: 33.3,
            runnable: 66.6,
            other: 0.1,
            ..Breakdown::default()
        };
        for w in [1u16, 7, 10, 80] {
            let segs = b.segments(w);
            assert_eq!(segs.iter().map(|s| s.1).sum::<u16>(), w, "{segs:?}");
        }
        assert_eq!(
            b.segments(10),
            vec![(Part::Running, 3), (Part::Runnable, 7)]
        );
        assert!(Breakdown::default().segments(10).is_empty());
        let letters: std::collections::HashSet<char> =
            Part::ALL.iter().map(|p| p.ascii()).collect();
        assert_eq!(letters.len(), Part::ALL.len());
        assert_eq!(b.waiting_share(), 66.6);
    }
}
