//! The table grouped by cgroup (`z`): one row per cgroup that holds a shown task, the
//! processes with tasks in it under it, and under each of those its threads in that cgroup.
//! A process whose threads sit in different cgroups (v2 threaded mode, v1 per-thread
//! placement) appears under each, with the threads there and their sums. Tasks whose
//! cgroup is unknown are grouped under one row that says so.

use std::collections::HashMap;

use crate::collect::{ProcessInfo, Snapshot, TaskKey};

use super::view::{Ctx, Match, Row, RowKind, compare, guide_prefix};

/// The identity of a cgroup row, for folding: stable across refreshes for the same path.
pub fn cgroup_key(path: &[u8]) -> TaskKey {
    // FNV-1a, as `pool_key`: stable across runs; TID 0 is no task's, so no task row's key.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    TaskKey {
        tid: 0,
        start_ticks: h,
    }
}

/// A process row under a cgroup, and its threads there.
type ProcessItem = (Row, Vec<Row>);

/// The group of tasks whose cgroup is unknown.
const UNKNOWN: u32 = u32::MAX;

fn cgroup_row(snap: &Snapshot, gi: u32, members: &[Row], folded: bool) -> Row {
    let g = snap.cgroups.groups.get(gi as usize);
    let (name, command, key) = match g {
        Some(g) => {
            let limit = match g.limit {
                Ok(Some(l)) => format!("  {} CPU", super::cgroups::cpus_text(l.cpus())),
                _ => String::new(),
            };
            (
                g.name().text,
                format!("v{} {}{limit}", g.version, crate::text::escape(&g.path)),
                cgroup_key(&g.path),
            )
        }
        None => (
            "-".to_string(),
            "cgroup unknown".to_string(),
            cgroup_key(b""),
        ),
    };
    let sum = |f: fn(&Row) -> Option<f64>| -> Option<f64> {
        let mut v = members.iter().filter_map(f).peekable();
        v.peek().is_some().then(|| v.sum())
    };
    let busiest = members
        .iter()
        .min_by_key(|m| super::view::state_rank(m.state))
        .map_or(b'?', |m| m.state);
    let first = members.first();
    Row {
        tagged: false,
        context: false,
        kind: RowKind::Cgroup,
        prefix: String::new(),
        depth: 0,
        key,
        tid: 0,
        tgid: 0,
        cgroup: first.and_then(|m| m.cgroup.clone()),
        // A cgroup row is many tasks: no one waker or wait figure stands for them.
        events: Default::default(),
        name,
        command,
        user: String::new(),
        state: busiest,
        cpu_percent: sum(|r| r.cpu_percent),
        processor: None,
        nice: 0,
        priority: 0,
        switches_per_sec: sum(|r| r.switches_per_sec),
        voluntary_per_sec: sum(|r| r.voluntary_per_sec),
        involuntary_per_sec: sum(|r| r.involuntary_per_sec),
        wait_percent: sum(|r| r.wait_percent),
        cpu_time_cs: members
            .iter()
            .filter_map(|m| m.cpu_time_cs)
            .reduce(|a, b| a + b),
        // Its members may be threads of processes that span cgroups: no memory figure.
        rss_bytes: None,
        virt_bytes: None,
        shared_bytes: None,
        mem_percent: None,
        io_read_per_sec: sum(|r| r.io_read_per_sec),
        io_write_per_sec: sum(|r| r.io_write_per_sec),
        io_why: None,
        policy: 0,
        rt_priority: 0,
        affinity: None,
        threads: members.len() as u32,
        kernel: false,
        foldable: true,
        folded,
        unreadable: false,
        unreadable_why: None,
        why: None,
        why_share: None,
    }
}

/// The rows grouped by cgroup, from the processes the filter kept (`ctx.matches`).
pub(super) fn build(ctx: &mut Ctx) {
    let snap = ctx.snap;
    // cgroup index -> (process index -> its tasks' rows there).
    let mut groups: HashMap<u32, Vec<(usize, Vec<Row>)>> = HashMap::new();
    for (i, p) in snap.processes.iter().enumerate() {
        let Some(m) = &ctx.matches[i] else { continue };
        let mut by_group: Vec<(u32, Vec<Row>)> = Vec::new();
        for t in &p.tasks {
            if let Match::Threads(set) = m
                && !set.contains(&t.tid)
            {
                continue;
            }
            let gi = snap.cgroups.index_of(p.tgid, t.tid).unwrap_or(UNKNOWN);
            let row = ctx.thread_row(p, t);
            match by_group.iter_mut().find(|(g, _)| *g == gi) {
                Some((_, rows)) => rows.push(row),
                None => by_group.push((gi, vec![row])),
            }
        }
        for (gi, rows) in by_group {
            groups.entry(gi).or_default().push((i, rows));
        }
    }
    let flip = ctx.opts.sort.descending() != ctx.opts.reverse;
    let mut items: Vec<(Row, Vec<ProcessItem>)> = groups
        .into_iter()
        .map(|(gi, procs)| {
            let mut members: Vec<Row> = Vec::new();
            let mut children: Vec<(Row, Vec<Row>)> = procs
                .into_iter()
                .map(|(i, mut threads)| {
                    members.extend(threads.iter().cloned());
                    let p = &snap.processes[i];
                    let mut row = if threads.len() == p.tasks.len() {
                        ctx.proc_rows[i].clone()
                    } else {
                        // Only some of its threads are here: the row sums those.
                        let part = ProcessInfo {
                            tasks: p
                                .tasks
                                .iter()
                                .filter(|t| threads.iter().any(|r| r.tid == t.tid))
                                .cloned()
                                .collect(),
                            ..p.clone()
                        };
                        let whole = &ctx.proc_rows[i];
                        Row {
                            key: whole.key,
                            tid: whole.tid,
                            name: whole.name.clone(),
                            command: whole.command.clone(),
                            state: whole.state,
                            kernel: whole.kernel,
                            unreadable: whole.unreadable,
                            unreadable_why: whole.unreadable_why,
                            cgroup: threads.first().and_then(|t| t.cgroup.clone()),
                            ..ctx.process_row(&part)
                        }
                    };
                    if ctx.opts.processes_only || p.tasks.len() < 2 {
                        threads.clear();
                    }
                    threads.sort_by(|a, b| compare(a, b, ctx.opts.sort, flip));
                    row.foldable = !threads.is_empty();
                    row.folded = row.foldable && ctx.opts.folded.contains(&row.key);
                    if row.folded {
                        threads.clear();
                    }
                    (row, threads)
                })
                .collect();
            children.sort_by(|a, b| compare(&a.0, &b.0, ctx.opts.sort, flip));
            let mut row = cgroup_row(snap, gi, &members, false);
            row.folded = ctx.opts.folded.contains(&row.key);
            (row, children)
        })
        .collect();
    // Cgroup rows have no TID to break ties by: their name and path do (the map's order
    // is random).
    items.sort_by(|a, b| {
        compare(&a.0, &b.0, ctx.opts.sort, flip)
            .then_with(|| a.0.name.cmp(&b.0.name))
            .then_with(|| a.0.command.cmp(&b.0.command))
    });
    for (row, children) in items {
        let folded = row.folded;
        ctx.rows.push(row);
        if folded {
            continue;
        }
        let n = children.len();
        for (k, (mut p, threads)) in children.into_iter().enumerate() {
            let last = k + 1 == n;
            p.prefix = guide_prefix(&[], last);
            p.depth = 1;
            ctx.rows.push(p);
            let m = threads.len();
            for (j, mut t) in threads.into_iter().enumerate() {
                t.prefix = guide_prefix(&[!last], j + 1 == m);
                t.depth = 2;
                ctx.rows.push(t);
            }
        }
    }
}
