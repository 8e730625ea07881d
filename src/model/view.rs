//! Snapshot + rates + view options → the rows to draw, in order.
//!
//! Tree mode nests processes under their parent (kernel threads under kthreadd, as the
//! kernel has them) and puts a multi-threaded process's threads right under its row, the
//! group leader first among equals. Flat mode lists processes, each with its threads. A
//! filter shows the matching processes with all their threads when the process matched,
//! or only the matching threads when only threads did; in tree mode they stay in the tree,
//! under their ancestors up to the root (shown as context, without their threads).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::collect::events::Events;
use crate::collect::{ProcessInfo, Snapshot, TaskInfo, TaskKey, Unreadable};
use crate::model::events::RowEvents;
use crate::text::{escape, escape_cmdline};

use super::columns::SortKey;
use super::filter::{CgroupFilter, Filter};
use super::rates::{Rates, TaskRate};
use super::why::Why;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewOptions {
    pub filter: Filter,
    /// `-p`: only these thread groups (empty = all).
    pub pids: Vec<u32>,
    /// `--cgroup`: only the tasks in cgroups whose name or path matches.
    pub cgroup: Option<super::filter::Pattern>,
    /// `u`: only the processes owned by this user (as the USER column shows it).
    pub user: Option<String>,
    pub sort: SortKey,
    pub reverse: bool,
    pub tree: bool,
    pub hide_kernel: bool,
    pub processes_only: bool,
    /// Processes (by leader identity) whose threads and children are hidden.
    pub folded: HashSet<TaskKey>,
    /// Thread pools (by pool row key) the user opened; pools start folded.
    pub open_pools: HashSet<TaskKey>,
    /// `z`: group tasks by cgroup instead of by parent process.
    pub by_cgroup: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            filter: Filter::None,
            pids: Vec::new(),
            cgroup: None,
            user: None,
            sort: SortKey::Cpu,
            reverse: false,
            tree: true,
            hide_kernel: false,
            processes_only: false,
            folded: HashSet::new(),
            open_pools: HashSet::new(),
            by_cgroup: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A thread group (its values are the group's sums; state is the leader's).
    Process,
    /// One task of a multi-threaded group.
    Thread,
    /// Threads of one group whose names differ only by numbers (`worker-1..8`), folded
    /// into one row: `threads` members, CPU and switches summed.
    Pool,
    /// A cgroup, when the table is grouped by cgroup: its tasks' sums. No task: nothing
    /// acts on it.
    Cgroup,
}

pub use super::pools::{POOL_MIN_THREADS, pool_key, pool_members};

/// A folded pool's row, summed from its member tasks directly: no row is built for a
/// member (at 10,000 threads in one pool those rows were most of the UI thread's tick and
/// 3-8 MiB of scratch). `members` are in the snapshot's order (TID order): the first, the
/// lowest TID, gives the row its TID and the fields members share (user, nice, cgroup),
/// so the row does not change its TID as the members' CPU use reorders them.
fn pool_row(
    ctx: &Ctx,
    p: &ProcessInfo,
    process: &Row,
    pattern: &str,
    members: &[&TaskInfo],
) -> Row {
    fn add(acc: &mut Option<f64>, v: Option<f64>) {
        if let Some(v) = v {
            *acc = Some(acc.map_or(v, |a| a + v));
        }
    }
    let (mut cpu, mut sw, mut vol, mut inv, mut wait) = (None, None, None, None, None);
    let (mut io_r, mut io_w) = (None, None);
    let mut cpu_time: Option<u64> = None;
    let mut busiest: Option<u8> = None;
    for t in members {
        let r = ctx.rates.get(&t.key()).unwrap_or_default();
        add(&mut cpu, r.cpu_percent);
        add(&mut sw, r.switches_per_sec);
        add(&mut vol, r.voluntary_per_sec);
        add(&mut inv, r.involuntary_per_sec);
        add(&mut wait, r.wait_percent);
        add(&mut io_r, r.io_read_per_sec);
        add(&mut io_w, r.io_write_per_sec);
        if let Some(c) = cpu_time_cs(t, ctx.snap.clk_tck) {
            cpu_time = Some(cpu_time.map_or(c, |a| a + c));
        }
        if busiest.is_none_or(|b| state_rank(t.state) < state_rank(b)) {
            busiest = Some(t.state);
        }
    }
    let base = members
        .first()
        .map_or_else(|| process.clone(), |t| ctx.thread_row(p, t));
    let (p99, max) = crate::model::events::worst_latency(&ctx.snap.events, members.iter().copied());
    Row {
        tagged: false,
        context: false,
        kind: RowKind::Pool,
        key: pool_key(process.key, pattern),
        tid: members.first().map_or(process.tgid, |m| m.tid),
        name: pattern.to_string(),
        command: String::new(),
        state: busiest.unwrap_or(b'?'),
        cpu_percent: cpu,
        processor: None,
        switches_per_sec: sw,
        voluntary_per_sec: vol,
        involuntary_per_sec: inv,
        wait_percent: wait,
        cpu_time_cs: cpu_time,
        io_read_per_sec: io_r,
        io_write_per_sec: io_w,
        io_why: None,
        threads: members.len() as u32,
        affinity: None,
        // A pool has two members or more: the waker is named only for a single task.
        events: RowEvents {
            p99_ns: p99,
            max_ns: max,
            woken_by: None,
        },
        foldable: true,
        // Filled from the pool's own analysis (`Ctx::pool_why`), never a member's.
        why: None,
        why_share: None,
        ..base
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    /// Tree guides drawn before the name (`├─`, `│ `…), already laid out.
    pub prefix: String,
    /// Nesting level: 0 for roots.
    pub depth: u16,
    pub key: TaskKey,
    pub tid: u32,
    pub tgid: u32,
    /// comm, escaped.
    pub name: String,
    /// Process rows: argv escaped, or `[comm]` for kernel threads. Empty for threads.
    pub command: String,
    pub user: String,
    pub state: u8,
    pub cpu_percent: Option<f64>,
    pub processor: Option<u32>,
    pub nice: i64,
    pub priority: i64,
    pub switches_per_sec: Option<f64>,
    pub voluntary_per_sec: Option<f64>,
    pub involuntary_per_sec: Option<f64>,
    /// Run-queue wait as % of the interval.
    pub wait_percent: Option<f64>,
    /// CPU time used so far (utime + stime), in hundredths of a second; a process row:
    /// the sum over its threads (those alive now).
    pub cpu_time_cs: Option<u64>,
    /// The process's resident memory (RES); `None` on thread and pool rows, which share
    /// their process's memory and show `-`.
    pub rss_bytes: Option<u64>,
    /// The process's address space (VIRT) and its resident shared pages (SHR), from
    /// `statm` when a column asked for it.
    pub virt_bytes: Option<u64>,
    pub shared_bytes: Option<u64>,
    /// RES as % of the machine's memory.
    pub mem_percent: Option<f64>,
    /// Storage bytes read / written per second: a task's own, a process's or pool's sum.
    pub io_read_per_sec: Option<f64>,
    pub io_write_per_sec: Option<f64>,
    /// Why a thread row's `io` could not be read ("permission denied"), when it was not.
    pub io_why: Option<&'static str>,
    pub policy: u32,
    pub rt_priority: u32,
    /// Allowed CPUs (`0-3,8`), when `status` was read for this task.
    pub affinity: Option<String>,
    /// The readable name of its cgroup (a process row: its leader's); `None`: unknown.
    pub cgroup: Option<Arc<str>>,
    /// LAT p99, LAT max and WOKEN BY, from the scheduling events (unknown without them).
    pub events: RowEvents,
    /// The WHY column: the verdict's short form; `None`: not analysed (unknown).
    pub why: Option<Arc<str>>,
    /// What WHY sorts by: the share of the interval spent waiting (`Breakdown::waiting_share`).
    pub why_share: Option<f64>,
    pub threads: u32,
    pub kernel: bool,
    /// Has threads or child processes that folding would hide.
    pub foldable: bool,
    pub folded: bool,
    /// stat was unreadable: only the ids are real.
    pub unreadable: bool,
    /// Why, in words ("permission denied"), when it was.
    pub unreadable_why: Option<&'static str>,
    /// Tagged by the user (`m`): actions act on the tagged rows. Set by the app.
    pub tagged: bool,
    /// Shown only to place a match in its tree (an ancestor process, or the process above
    /// the threads that matched); it did not match itself, so "N rows match" does not
    /// count it.
    pub context: bool,
}

pub(super) enum Match {
    Whole,
    Threads(HashSet<u32>),
}

pub(super) struct Ctx<'a> {
    pub(super) snap: &'a Snapshot,
    /// The readable name of each cgroup of the snapshot (same order as its groups).
    pub(super) cgroup_names: Vec<Arc<str>>,
    pub(super) rates: &'a Rates,
    pub(super) opts: &'a ViewOptions,
    /// The last interval's analysis (WHY column); empty when nothing was sampled.
    pub(super) why: &'a Why,
    /// Per process index: its row values (sums over its tasks).
    pub(super) proc_rows: Vec<Row>,
    pub(super) matches: Vec<Option<Match>>,
    pub(super) children: Vec<Vec<usize>>,
    pub(super) rows: Vec<Row>,
}

pub fn build_rows(snap: &Snapshot, rates: &Rates, opts: &ViewOptions) -> Vec<Row> {
    build_rows_why(snap, rates, opts, &Why::default())
}

/// `build_rows` with the interval's analysis, which fills (and sorts) the WHY column.
pub fn build_rows_why(snap: &Snapshot, rates: &Rates, opts: &ViewOptions, why: &Why) -> Vec<Row> {
    let n = snap.processes.len();
    let cgroups = CgroupFilter::new(&snap.cgroups, &opts.filter, opts.cgroup.as_ref());
    // Named once per cgroup, shared by every row in it: a host has a few dozen cgroups and
    // thousands of tasks.
    let cgroup_names = cgroup_names(snap);
    let mut ctx = Ctx {
        snap,
        rates,
        opts,
        why,
        proc_rows: snap
            .processes
            .iter()
            .map(|p| {
                let mut r = process_row(p, rates, cpu_cap(snap), snap);
                r.cgroup = p
                    .leader()
                    .and_then(|l| cgroup_of(snap, &cgroup_names, p.tgid, l.tid));
                if let Some(w) = why.processes.get(&p.tgid) {
                    set_why(&mut r, &w.verdict, w.breakdown.as_ref());
                }
                r
            })
            .collect(),
        cgroup_names,
        matches: Vec::new(),
        children: vec![Vec::new(); n],
        rows: Vec::new(),
    };
    ctx.matches = snap
        .processes
        .iter()
        .zip(&ctx.proc_rows)
        .map(|(p, row)| {
            let user_ok = opts.user.as_ref().is_none_or(|u| *u == row.user);
            user_ok.then(|| match_process(p, opts, &cgroups)).flatten()
        })
        .collect();
    if opts.by_cgroup {
        super::cgroup_tree::build(&mut ctx);
        return ctx.rows;
    }
    let mut roots = Vec::new();
    if !opts.tree {
        roots.extend((0..n).filter(|&i| ctx.matches[i].is_some()));
    } else {
        let index: HashMap<u32, usize> = snap
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.tgid, i))
            .collect();
        if narrowed(opts) {
            add_ancestors(snap, &index, &opts.pids, &mut ctx.matches);
        }
        for i in 0..n {
            if ctx.matches[i].is_none() {
                continue;
            }
            let p = &snap.processes[i];
            match index.get(&p.ppid) {
                Some(&parent) if parent != i && ctx.matches[parent].is_some() => {
                    ctx.children[parent].push(i)
                }
                _ => roots.push(i),
            }
        }
    }
    sort_processes(&ctx, &mut roots);
    let mut children = std::mem::take(&mut ctx.children);
    for c in children.iter_mut() {
        sort_processes(&ctx, c);
    }
    ctx.children = children;
    let mut visited = vec![false; n];
    let mut guides = Vec::new();
    let count = roots.len();
    for (k, &r) in roots.iter().enumerate() {
        emit_process(&mut ctx, r, &mut guides, k + 1 == count, true, &mut visited);
    }
    ctx.rows
}

/// Whether anything hides processes that a plain tree would show.
/// (`-p` is not one: it names the processes to show, and only those are read; nor is a
/// PID/TID filter, which asks for that process: its ancestors would push it down.)
pub fn narrowed(opts: &ViewOptions) -> bool {
    matches!(opts.filter, Filter::Pattern(_)) || opts.cgroup.is_some() || opts.user.is_some()
}

/// Keeps a filtered tree a tree: every ancestor of a match, up to the root, is shown as
/// context (its row only, none of its threads) so a match sits where it lives.
/// With `-p`, only the named processes are ancestors to show.
fn add_ancestors(
    snap: &Snapshot,
    index: &HashMap<u32, usize>,
    pids: &[u32],
    matches: &mut [Option<Match>],
) {
    let hits: Vec<usize> = (0..matches.len())
        .filter(|&i| matches[i].is_some())
        .collect();
    for i in hits {
        let mut at = i;
        // A PPID loop cannot happen in a consistent /proc, but a scan is not atomic: the
        // walk stops after as many steps as there are processes.
        for _ in 0..matches.len() {
            let Some(&parent) = index.get(&snap.processes[at].ppid) else {
                break;
            };
            let shown = pids.is_empty() || pids.contains(&snap.processes[parent].tgid);
            if parent == at || matches[parent].is_some() || !shown {
                break;
            }
            matches[parent] = Some(Match::Threads(HashSet::new()));
            at = parent;
        }
    }
}

impl Ctx<'_> {
    /// A task's row, its cgroup named.
    pub(super) fn thread_row(&self, p: &ProcessInfo, t: &TaskInfo) -> Row {
        let mut r = thread_row(p, t, self.rates, self.snap.clk_tck, &self.snap.events);
        r.cgroup = cgroup_of(self.snap, &self.cgroup_names, t.tgid, t.tid);
        self.task_why(&mut r);
        r
    }

    /// Fills a task row's WHY from the analysis, when the task was analysed.
    pub(super) fn task_why(&self, r: &mut Row) {
        if let Some(w) = self.why.tasks.get(&r.key) {
            set_why(r, &w.verdict, w.breakdown.as_ref());
        }
    }

    /// Fills a pool row's WHY from the analysis of the pool of that label.
    fn pool_why(&self, r: &mut Row) {
        let pool = self
            .why
            .processes
            .get(&r.tgid)
            .and_then(|p| p.pools.iter().find(|x| x.label == r.name));
        if let Some(w) = pool {
            set_why(r, &w.verdict, w.breakdown.as_ref());
        }
    }

    /// A process's row (the sums over `p.tasks`).
    pub(super) fn process_row(&self, p: &ProcessInfo) -> Row {
        process_row(p, self.rates, cpu_cap(self.snap), self.snap)
    }
}

fn match_process(p: &ProcessInfo, opts: &ViewOptions, cg: &CgroupFilter) -> Option<Match> {
    let m = match_filter(p, opts, cg)?;
    if !cg.restricts() {
        return Some(m);
    }
    // `--cgroup`: only the tasks in a matching cgroup.
    let allowed: HashSet<u32> = p
        .tasks
        .iter()
        .filter(|t| cg.allowed(p.tgid, t.tid))
        .map(|t| t.tid)
        .collect();
    match m {
        _ if allowed.is_empty() => None,
        Match::Whole if allowed.len() == p.tasks.len() => Some(Match::Whole),
        Match::Whole => Some(Match::Threads(allowed)),
        Match::Threads(t) => {
            let both: HashSet<u32> = t.intersection(&allowed).copied().collect();
            (!both.is_empty()).then_some(Match::Threads(both))
        }
    }
}

fn match_filter(p: &ProcessInfo, opts: &ViewOptions, cg: &CgroupFilter) -> Option<Match> {
    if opts.hide_kernel && p.is_kernel() {
        return None;
    }
    if !opts.pids.is_empty() && !opts.pids.contains(&p.tgid) {
        return None;
    }
    match &opts.filter {
        Filter::None => Some(Match::Whole),
        Filter::Id(id) => {
            if p.tgid == *id {
                Some(Match::Whole)
            } else if p.tasks.iter().any(|t| t.tid == *id) {
                Some(Match::Threads(HashSet::from([*id])))
            } else {
                None
            }
        }
        Filter::Pattern(pat) => {
            let leader_name = p.tasks.first().map(|t| escape(&t.comm)).unwrap_or_default();
            let cmd = p.cmdline.as_deref().map(escape_cmdline).unwrap_or_default();
            let leader_cgroup = p.leader().is_some_and(|l| cg.pattern_hit(p.tgid, l.tid));
            if pat.matches(&leader_name) || pat.matches(&cmd) || leader_cgroup {
                return Some(Match::Whole);
            }
            let tids: HashSet<u32> = p
                .tasks
                .iter()
                .filter(|t| pat.matches(&escape(&t.comm)) || cg.pattern_hit(p.tgid, t.tid))
                .map(|t| t.tid)
                .collect();
            (!tids.is_empty()).then_some(Match::Threads(tids))
        }
    }
}

/// The most CPU % a group of tasks can use: 100 per online CPU. Per-task rates are already
/// capped at 100, but a sum over threads read at slightly different moments of a scan can
/// overshoot by the scan's jitter.
pub fn cpu_cap(snap: &Snapshot) -> f64 {
    100.0
        * snap
            .system
            .cpus
            .len()
            .max(snap.system.topology.len())
            .max(1) as f64
}

fn process_row(p: &ProcessInfo, rates: &Rates, cap: f64, snap: &Snapshot) -> Row {
    let (clk_tck, events) = (snap.clk_tck, &snap.events);
    let lead = p.tasks.first();
    let sum = |f: fn(&TaskRate) -> Option<f64>| -> Option<f64> {
        let vals: Vec<f64> = p
            .tasks
            .iter()
            .filter_map(|t| rates.get(&t.key()).as_ref().and_then(f))
            .collect();
        (!vals.is_empty()).then(|| vals.iter().sum())
    };
    let why = unreadable_why(lead);
    let statm = p.statm.and_then(|r| r.ok());
    // An unreadable process has no name to show: it is not a kernel thread's `[]`.
    let name = match why {
        Some(_) => UNREADABLE_NAME.to_string(),
        None => lead.map(|t| escape(&t.comm)).unwrap_or_default(),
    };
    let kernel = p.is_kernel();
    let command = match &p.cmdline {
        _ if why.is_some() => format!("(not readable: {})", why.unwrap_or_default()),
        _ if kernel => format!("[{name}]"),
        Ok(c) if c.is_empty() && lead.is_some_and(|t| t.state == b'Z') => {
            format!("[{name}] <defunct>")
        }
        Ok(c) if c.is_empty() => format!("[{name}]"),
        Ok(c) => escape_cmdline(c),
        Err(_) => format!("[{name}] (command line unreadable)"),
    };
    Row {
        tagged: false,
        context: false,
        kind: RowKind::Process,
        prefix: String::new(),
        depth: 0,
        key: p.key(),
        tid: p.tgid,
        tgid: p.tgid,
        name,
        command,
        user: p.user.clone().unwrap_or_else(|| "?".into()),
        state: lead.map_or(b'?', |t| t.state),
        cpu_percent: sum(|r| r.cpu_percent).map(|c| c.min(cap)),
        processor: lead.and_then(|t| t.processor).map(u32::from),
        nice: lead.map_or(0, |t| i64::from(t.nice)),
        priority: lead.map_or(0, |t| i64::from(t.priority)),
        switches_per_sec: sum(|r| r.switches_per_sec),
        voluntary_per_sec: sum(|r| r.voluntary_per_sec),
        involuntary_per_sec: sum(|r| r.involuntary_per_sec),
        wait_percent: sum(|r| r.wait_percent),
        cpu_time_cs: p
            .tasks
            .iter()
            .filter_map(|t| cpu_time_cs(t, clk_tck))
            .reduce(|a, b| a + b),
        rss_bytes: why.is_none().then_some(p.rss_bytes),
        virt_bytes: statm.map(|s| s.size_pages.saturating_mul(snap.page_size)),
        shared_bytes: statm.map(|s| s.shared_pages.saturating_mul(snap.page_size)),
        mem_percent: snap
            .system
            .mem
            .filter(|m| m.total_bytes > 0 && why.is_none())
            .map(|m| p.rss_bytes as f64 * 100.0 / m.total_bytes as f64),
        io_read_per_sec: sum(|r| r.io_read_per_sec),
        io_write_per_sec: sum(|r| r.io_write_per_sec),
        io_why: None,
        policy: lead.map_or(0, |t| u32::from(t.policy)),
        rt_priority: lead.map_or(0, |t| u32::from(t.rt_priority)),
        affinity: lead.and_then(affinity),
        cgroup: None,
        events: task_events_row(p, events),
        why: None,
        why_share: None,
        threads: p.tasks.len() as u32,
        kernel,
        foldable: false,
        folded: false,
        unreadable: why.is_some(),
        unreadable_why: why,
    }
}

/// A process's event cells: its threads' figures merged (nothing to look up without events).
fn task_events_row(p: &ProcessInfo, events: &Events) -> RowEvents {
    if events.tick().is_none() {
        return RowEvents::default();
    }
    // As `RowEvents::merge` of each thread's row (tested against it): a single thread's
    // own, else the worst p99 and max and no waker, without decoding whole records.
    if let [one] = p.tasks.as_slice() {
        return thread_events(one, events);
    }
    let (p99, max) = crate::model::events::worst_latency(events, &p.tasks);
    RowEvents {
        p99_ns: p99,
        max_ns: max,
        woken_by: None,
    }
}

fn thread_events(t: &TaskInfo, events: &Events) -> RowEvents {
    crate::model::events::of_task(events, t).map_or_else(RowEvents::default, |e| RowEvents::of(&e))
}

fn thread_row(p: &ProcessInfo, t: &TaskInfo, rates: &Rates, clk_tck: u64, events: &Events) -> Row {
    let rate = rates.get(&t.key()).unwrap_or_default();
    Row {
        tagged: false,
        context: false,
        kind: RowKind::Thread,
        prefix: String::new(),
        depth: 0,
        key: t.key(),
        tid: t.tid,
        tgid: t.tgid,
        name: match t.stat_error {
            Some(_) => UNREADABLE_NAME.to_string(),
            None => escape(&t.comm),
        },
        command: String::new(),
        user: p.user.clone().unwrap_or_else(|| "?".into()),
        state: t.state,
        cpu_percent: rate.cpu_percent,
        processor: t.processor.map(u32::from),
        nice: i64::from(t.nice),
        priority: i64::from(t.priority),
        switches_per_sec: rate.switches_per_sec,
        voluntary_per_sec: rate.voluntary_per_sec,
        involuntary_per_sec: rate.involuntary_per_sec,
        wait_percent: rate.wait_percent,
        cpu_time_cs: cpu_time_cs(t, clk_tck),
        rss_bytes: None,
        virt_bytes: None,
        shared_bytes: None,
        mem_percent: None,
        io_read_per_sec: rate.io_read_per_sec,
        io_write_per_sec: rate.io_write_per_sec,
        io_why: match p.io_of(t.tid) {
            Some(Err(e)) => Some(unreadable_words(*e)),
            _ => None,
        },
        policy: u32::from(t.policy),
        rt_priority: u32::from(t.rt_priority),
        affinity: affinity(t),
        cgroup: None,
        events: thread_events(t, events),
        why: None,
        why_share: None,
        threads: 1,
        kernel: t.is_kernel_thread(),
        foldable: false,
        folded: false,
        unreadable: t.stat_error.is_some(),
        unreadable_why: unreadable_why(Some(t)),
    }
}

/// The scheduling policy's name (`policy` field of stat; include/uapi/linux/sched.h).
pub fn policy_name(policy: u32) -> &'static str {
    match policy {
        0 => "OTHER",
        1 => "FIFO",
        2 => "RR",
        3 => "BATCH",
        5 => "IDLE",
        6 => "DEADLINE",
        _ => "?",
    }
}

/// The name shown for a task whose `stat` could not be read: it has none we know.
pub const UNREADABLE_NAME: &str = "?";

/// Why a task's `stat` could not be read, in words; `None` when it was read. No task at
/// all (a process without one) is unreadable too.
fn unreadable_why(t: Option<&TaskInfo>) -> Option<&'static str> {
    let Some(t) = t else {
        return Some("no task readable");
    };
    Some(unreadable_words(t.stat_error?))
}

/// Why a file could not be read, in words.
pub fn unreadable_words(e: Unreadable) -> &'static str {
    match e {
        Unreadable::Denied => "permission denied",
        Unreadable::Malformed => "malformed",
        Unreadable::Absent => "absent",
        Unreadable::NoDescriptors => "out of file descriptors",
    }
}

/// utime + stime in hundredths of a second; unknown when stat was not read or USER_HZ is.
fn cpu_time_cs(t: &TaskInfo, clk_tck: u64) -> Option<u64> {
    if t.stat_error.is_some() || clk_tck == 0 {
        return None;
    }
    let ticks = t.utime_ticks.saturating_add(t.stime_ticks);
    // USER_HZ is 100 on every Linux architecture today: no division per task then.
    Some(if clk_tck == 100 {
        ticks
    } else {
        ticks.saturating_mul(100) / clk_tck
    })
}

/// The readable name of every cgroup of `snap`, in its order.
pub fn cgroup_names(snap: &Snapshot) -> Vec<Arc<str>> {
    snap.cgroups
        .groups
        .iter()
        .map(|g| Arc::from(g.name().text))
        .collect()
}

/// The name of a task's cgroup from [`cgroup_names`]; `None` when unknown.
pub fn cgroup_of(snap: &Snapshot, names: &[Arc<str>], tgid: u32, tid: u32) -> Option<Arc<str>> {
    let i = snap.cgroups.index_of(tgid, tid).ok()?;
    names.get(i as usize).cloned()
}

fn affinity(t: &TaskInfo) -> Option<String> {
    Some(t.detail()?.as_ref().ok()?.cpus_allowed.clone())
}

/// The order tasks are most interesting in: running first, finished last.
pub(crate) fn state_rank(s: u8) -> u8 {
    match s {
        b'R' => 0,
        b'D' => 1,
        b'S' => 2,
        b'T' | b't' => 3,
        b'I' => 4,
        b'Z' | b'X' => 5,
        _ => 6,
    }
}

/// `flip`: the order is the column's reversed (its descending() != the user's reverse),
/// decided once per sort, not per comparison: `descending()` reads the column table (a
/// match that builds a whole spec), and sorting 12,000 rows makes about 160,000
/// comparisons.
pub(super) fn compare(a: &Row, b: &Row, key: SortKey, flip: bool) -> Ordering {
    let by_value = key.compare(a, b);
    let by_value = if flip { by_value.reverse() } else { by_value };
    // Ties: the group leader first, then by TID, whatever the direction, so equal rows
    // never swap places between refreshes.
    by_value
        .then_with(|| (a.tid != a.tgid).cmp(&(b.tid != b.tgid)))
        .then_with(|| a.tid.cmp(&b.tid))
}

fn sort_processes(ctx: &Ctx, list: &mut [usize]) {
    let flip = ctx.opts.sort.descending() != ctx.opts.reverse;
    list.sort_by(|&a, &b| compare(&ctx.proc_rows[a], &ctx.proc_rows[b], ctx.opts.sort, flip));
}

/// `guides[k]`: whether the ancestor at depth k+1 has siblings still to come.
pub(super) fn guide_prefix(guides: &[bool], last: bool) -> String {
    let mut s = String::new();
    for &more in guides {
        s.push_str(if more { "│ " } else { "  " });
    }
    s.push_str(if last { "└─" } else { "├─" });
    s
}

fn emit_process(
    ctx: &mut Ctx,
    i: usize,
    guides: &mut Vec<bool>,
    last: bool,
    root: bool,
    visited: &mut [bool],
) {
    // A PPID loop cannot happen in a consistent /proc, but a scan is not atomic.
    if visited[i] {
        return;
    }
    visited[i] = true;
    let p = &ctx.snap.processes[i];
    let mut row = ctx.proc_rows[i].clone();
    // Context: an ancestor (`add_ancestors` gives it an empty thread set; a real match is
    // never empty, `match_process` and `combine` give `None` then), or the process row
    // above the threads that matched, when they are shown as rows of their own.
    row.context = match &ctx.matches[i] {
        Some(Match::Threads(set)) => {
            set.is_empty() || (p.tasks.len() > 1 && !ctx.opts.processes_only)
        }
        _ => false,
    };
    // Roots get no guide; everything below them does.
    if !root {
        row.prefix = guide_prefix(guides, last);
        row.depth = guides.len() as u16 + 1;
    }
    let only = match &ctx.matches[i] {
        Some(Match::Threads(set)) => Some(set),
        _ => None,
    };
    let listed = |t: &&TaskInfo| only.is_none_or(|s| s.contains(&t.tid));
    let has_threads =
        !ctx.opts.processes_only && p.tasks.len() > 1 && p.tasks.iter().any(|t| listed(&t));
    let kids = ctx.children[i].clone();
    row.foldable = has_threads || !kids.is_empty();
    row.folded = row.foldable && ctx.opts.folded.contains(&row.key);
    let folded = row.folded;
    let depth = row.depth;
    ctx.rows.push(row);
    // A folded process builds no row for its threads.
    if folded {
        return;
    }
    if !root {
        guides.push(!last);
    }
    let flip = ctx.opts.sort.descending() != ctx.opts.reverse;
    let mut items: Vec<(Row, Vec<Row>)> = Vec::new();
    if has_threads && p.tasks.len() >= POOL_MIN_THREADS && only.is_none() {
        // Big processes show their pools folded, so a 500-thread JVM reads as a dozen
        // lines; a filter that picked threads by name shows exactly those. Grouped by the
        // tasks' names: a folded pool's members get no row at all, only the pool's sums.
        // The main thread is never a pool member (see model/pools.rs).
        let rest: Vec<&TaskInfo> = super::pools::candidates(p).collect();
        let main = p.tasks.iter().filter(|t| t.tid == p.tgid);
        items.extend(main.map(|t| (ctx.thread_row(p, t), Vec::new())));
        for g in super::pools::groups(p).iter() {
            let members: Vec<&TaskInfo> = g.members.iter().map(|&k| rest[k]).collect();
            if members.len() >= 2 {
                let proc_row = &ctx.rows[ctx.rows.len() - 1];
                let mut pool = pool_row(ctx, p, proc_row, &g.label, &members);
                ctx.pool_why(&mut pool);
                pool.folded = !ctx.opts.open_pools.contains(&pool.key);
                let mut shown = Vec::new();
                if !pool.folded {
                    shown.extend(members.iter().map(|t| ctx.thread_row(p, t)));
                    shown.sort_by(|a, b| compare(a, b, ctx.opts.sort, flip));
                }
                items.push((pool, shown));
            } else {
                items.extend(members.iter().map(|t| (ctx.thread_row(p, t), Vec::new())));
            }
        }
    } else if has_threads {
        items.extend(
            p.tasks
                .iter()
                .filter(listed)
                .map(|t| (ctx.thread_row(p, t), Vec::new())),
        );
    }
    items.sort_by(|a, b| compare(&a.0, &b.0, ctx.opts.sort, flip));
    let total = items.len() + kids.len();
    for (k, (mut t, members)) in items.into_iter().enumerate() {
        let last_item = k + 1 == total;
        t.prefix = guide_prefix(guides, last_item);
        t.depth = depth + 1;
        let open = t.kind == RowKind::Pool && !t.folded;
        ctx.rows.push(t);
        if open {
            guides.push(!last_item);
            let n = members.len();
            for (j, mut m) in members.into_iter().enumerate() {
                m.prefix = guide_prefix(guides, j + 1 == n);
                m.depth = depth + 2;
                ctx.rows.push(m);
            }
            guides.pop();
        }
    }
    let offset = total - kids.len();
    for (k, c) in kids.iter().enumerate() {
        emit_process(ctx, *c, guides, offset + k + 1 == total, false, visited);
    }
    if !root {
        guides.pop();
    }
}

/// The verdict's short form for the WHY column: its head before the colon ("CPU-starved",
/// "lock convoy", "idle"; the explain card has the whole sentence); an unknown verdict
/// leaves the cell unknown (`-`).
fn set_why(r: &mut Row, verdict: &str, b: Option<&super::why::Breakdown>) {
    if verdict.starts_with("unknown") {
        return;
    }
    let short = verdict.split_once(": ").map_or(verdict, |(head, _)| head);
    r.why = Some(Arc::from(short));
    r.why_share = b.map(|b| b.waiting_share());
}
