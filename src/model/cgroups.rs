//! Cgroup rates from two snapshots, and the words the screen says about them: the explain
//! card's sentence, the header's hint when a shown cgroup was throttled, which cgroups'
//! cpusets cover each CPU. Pure: snapshots and task rates in, numbers and text out.
//!
//! A cgroup is matched across snapshots by version, path, cpuset path and directory inode
//! (`CgroupInfo::same_cgroup`): one removed and made again under the same path between two
//! ticks has a new inode, so its counters are never subtracted from the old one's.

use crate::collect::cgroup::{CgroupInfo, Why};
use crate::collect::{Snapshot, TaskInfo, parse_cpu_list};
use crate::model::Rates;

/// Rates of one cgroup of the current snapshot over the interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CgroupRate {
    /// CPU time used, % of one CPU (100 = one CPU busy the whole interval).
    pub usage_percent: Result<f64, Why>,
    /// Time its run queues spent throttled, % of one CPU's interval (summed over CPUs, as
    /// the kernel counts it: two CPUs throttled the whole interval is 200).
    pub throttled_percent: Result<f64, Why>,
    /// Enforcement periods that ran out of quota, per second.
    pub nr_throttled_per_sec: Result<f64, Why>,
    /// Of the enforcement periods in the interval, % that ran out of quota.
    pub throttled_periods_percent: Result<f64, Why>,
    /// Time at least one of its tasks waited for a CPU (PSI `some`), % of the interval.
    pub pressure_some_percent: Result<f64, Why>,
    /// Time all its tasks waited for a CPU at once (PSI `full`), % of the interval.
    pub pressure_full_percent: Result<f64, Why>,
}

impl CgroupRate {
    fn unknown(why: Why) -> Self {
        CgroupRate {
            usage_percent: Err(why),
            throttled_percent: Err(why),
            nr_throttled_per_sec: Err(why),
            throttled_periods_percent: Err(why),
            pressure_some_percent: Err(why),
            pressure_full_percent: Err(why),
        }
    }

    /// Throttled at all in the interval.
    pub fn throttled(&self) -> bool {
        self.nr_throttled_per_sec.is_ok_and(|r| r > 0.0)
            || self.throttled_percent.is_ok_and(|p| p > 0.0)
    }
}

/// `new - old` of a counter, or `NoRate` when it went backwards.
fn delta(old: Result<u64, Why>, new: Result<u64, Why>) -> Result<u64, Why> {
    let (o, n) = (old?, new?);
    n.checked_sub(o).ok_or(Why::NoRate)
}

/// The rates of every cgroup of `cur` (same order as `cur.cgroups.groups`).
pub fn cgroup_rates(prev: Option<&Snapshot>, cur: &Snapshot) -> Vec<CgroupRate> {
    let interval_ns = prev
        .map(|p| cur.boot_ns.saturating_sub(p.boot_ns))
        .filter(|&ns| ns > 0);
    cur.cgroups
        .groups
        .iter()
        .map(|g| {
            let (Some(prev), Some(ns)) = (prev, interval_ns) else {
                return CgroupRate::unknown(Why::NoRate);
            };
            let Some(old) = prev.cgroups.groups.iter().find(|o| o.same_cgroup(g)) else {
                return CgroupRate::unknown(Why::NoRate);
            };
            rate(old, g, ns as f64)
        })
        .collect()
}

fn rate(old: &CgroupInfo, g: &CgroupInfo, ns: f64) -> CgroupRate {
    let pct = |d: Result<u64, Why>, unit_ns: f64| d.map(|d| d as f64 * unit_ns / ns * 100.0);
    let th = |f: fn(&crate::collect::cgroup::Throttle) -> u64| {
        delta(old.throttle.map(|t| f(&t)), g.throttle.map(|t| f(&t)))
    };
    let periods = th(|t| t.periods);
    let throttled = th(|t| t.throttled);
    CgroupRate {
        usage_percent: pct(delta(old.usage_ns, g.usage_ns), 1.0),
        throttled_percent: pct(th(|t| t.throttled_ns), 1.0),
        nr_throttled_per_sec: throttled.map(|n| n as f64 / (ns / 1e9)),
        throttled_periods_percent: match (throttled, periods) {
            (Ok(_), Ok(0)) => Ok(0.0),
            (Ok(t), Ok(p)) => Ok((t as f64 / p as f64 * 100.0).min(100.0)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        pressure_some_percent: pct(
            delta(
                old.pressure.map(|p| p.some_us),
                g.pressure.map(|p| p.some_us),
            ),
            1000.0,
        )
        .map(|p| p.min(100.0)),
        pressure_full_percent: pct(
            delta(
                old.pressure.and_then(|p| p.full_us.ok_or(Why::NoPsi)),
                g.pressure.and_then(|p| p.full_us.ok_or(Why::NoPsi)),
            ),
            1000.0,
        )
        .map(|p| p.min(100.0)),
    }
}

/// A number of CPUs as people write it: `0.5`, `2`, `1.25`.
pub fn cpus_text(cpus: f64) -> String {
    let s = format!("{cpus:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A task counts as wanting a CPU when it is runnable now or used at least this much of
/// one over the interval (a thread throttled to a quarter of a CPU still wants a whole one).
const BUSY_PERCENT: f64 = 10.0;

pub(crate) fn is_busy(t: &TaskInfo, rates: &Rates) -> bool {
    t.state == b'R'
        || rates
            .get(&t.key())
            .and_then(|r| r.cpu_percent)
            .is_some_and(|c| c >= BUSY_PERCENT)
}

/// The explain card's lines about the cgroup(s) of the tasks `tids` of process `tgid` (one
/// task, or a pool's members). `rates` are the cgroups' (`cgroup_rates`), `task_rates`
/// the tasks', `interval_secs` the interval both cover.
pub fn explain_lines(
    snap: &Snapshot,
    rates: &[CgroupRate],
    task_rates: &Rates,
    interval_secs: Option<f64>,
    tgid: u32,
    tids: &[u32],
) -> Vec<String> {
    let cg = &snap.cgroups;
    let mut groups: Vec<u32> = Vec::new();
    let mut unknown: Option<Why> = None;
    for &tid in tids {
        match cg.index_of(tgid, tid) {
            Ok(i) if !groups.contains(&i) => groups.push(i),
            Ok(_) => {}
            Err(w) => unknown = unknown.or(Some(w)),
        }
    }
    let mut out = Vec::new();
    if groups.is_empty() {
        if let Some(w) = unknown {
            out.push(format!("Cgroup: unknown ({}).", w.words()));
        }
        return out;
    }
    for i in groups {
        let Some(g) = cg.groups.get(i as usize) else {
            continue;
        };
        let name = g.name().text;
        let path = crate::text::escape(&g.path);
        let limit = match g.limit {
            Ok(Some(l)) => format!("may use {} CPU", cpus_text(l.cpus())),
            Ok(None) => "has no CPU limit".to_string(),
            Err(w) => format!("CPU limit unknown ({})", w.words()),
        };
        let cpuset = match &g.cpuset {
            Ok(c) => format!(", on CPUs {c}"),
            Err(_) => String::new(),
        };
        out.push(format!(
            "Cgroup: {name} (v{} {path}): it {limit}{cpuset}.",
            g.version
        ));
        let Some(r) = rates.get(i as usize) else {
            continue;
        };
        if !r.throttled() {
            continue;
        }
        // Every task of the snapshot in this cgroup, not only this process's.
        let mut busy = 0usize;
        for p in &snap.processes {
            for t in &p.tasks {
                if cg.index_of(p.tgid, t.tid) == Ok(i) && is_busy(t, task_rates) {
                    busy += 1;
                }
            }
        }
        let want = match g.cpuset.as_deref().ok().and_then(parse_cpu_list) {
            Some(c) if !c.is_empty() => busy.min(c.len()),
            _ => busy,
        };
        let span = match interval_secs {
            Some(s) if (s - 1.0).abs() < 0.05 => "the last second".to_string(),
            Some(s) => format!("the last {s:.1} s"),
            None => "the last interval".to_string(),
        };
        let mut s = match r.throttled_periods_percent {
            Ok(p) => format!("Throttled in {p:.0} % of {span}'s CPU periods"),
            Err(_) => format!("Throttled during {span}"),
        };
        if let Ok(l) = g.limit.as_ref().map(|l| l.map(|l| l.cpus()))
            && let Some(l) = l
        {
            s.push_str(&format!(
                ": its cgroup may use {} CPU and its {} {} {}",
                cpus_text(l),
                plural(busy, "busy thread", "busy threads"),
                if busy == 1 { "wants" } else { "want" },
                want
            ));
        }
        s.push('.');
        out.push(s);
    }
    out
}

/// The cgroups (indexes in `snap.cgroups.groups`) that hold any of the given tasks.
pub fn groups_of<'a>(
    snap: &Snapshot,
    tasks: impl IntoIterator<Item = (u32, u32)> + 'a,
) -> Vec<u32> {
    let mut v: Vec<u32> = tasks
        .into_iter()
        .filter_map(|(tgid, tid)| snap.cgroups.index_of(tgid, tid).ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The cgroups of what `rows` show: a process row stands for all its tasks, a pool row for
/// its members, a thread row for itself.
pub fn groups_of_rows(snap: &Snapshot, rows: &[crate::model::Row]) -> Vec<u32> {
    use crate::model::RowKind;
    // By TGID once: a search of the process list per row was quadratic in the tasks.
    let by_tgid: std::collections::HashMap<u32, &crate::collect::ProcessInfo> =
        snap.processes.iter().map(|p| (p.tgid, p)).collect();
    let mut tasks: Vec<(u32, u32)> = Vec::new();
    let mut direct: Vec<u32> = Vec::new();
    for r in rows {
        let process = || by_tgid.get(&r.tgid).copied();
        match r.kind {
            // A (maybe folded) cgroup row of the grouped table stands for its cgroup.
            RowKind::Cgroup => direct.extend(
                snap.cgroups
                    .groups
                    .iter()
                    .position(|g| crate::model::cgroup_tree::cgroup_key(&g.path) == r.key)
                    .map(|i| i as u32),
            ),
            RowKind::Thread => tasks.push((r.tgid, r.tid)),
            RowKind::Process => {
                if let Some(p) = process() {
                    tasks.extend(p.tasks.iter().map(|t| (p.tgid, t.tid)));
                }
            }
            RowKind::Pool => {
                if let Some(p) = process() {
                    tasks.extend(
                        crate::model::view::pool_members(p, &r.name).map(|t| (p.tgid, t.tid)),
                    );
                }
            }
        }
    }
    let mut v = groups_of(snap, tasks);
    if !direct.is_empty() {
        v.extend(direct);
        v.sort_unstable();
        v.dedup();
    }
    v
}

/// A task's cgroup for a table cell: its readable name, or `-` when unknown.
pub fn cell(snap: &Snapshot, tgid: u32, tid: u32) -> String {
    snap.cgroups
        .of(tgid, tid)
        .map_or_else(|_| "-".to_string(), |g| g.name().text)
}

/// The header's hint when a shown cgroup (`shown`: indexes) was throttled in the interval:
/// `throttled: nginx.service 31 % (0.5 CPU), docker:0123456789ab 100 % (+1 more)`, the
/// most throttled first. `None` when none was.
pub fn throttle_hint(snap: &Snapshot, rates: &[CgroupRate], shown: &[u32]) -> Option<String> {
    let mut hit: Vec<(f64, String)> = shown
        .iter()
        .filter_map(|&i| {
            let r = rates.get(i as usize)?;
            let g = snap.cgroups.groups.get(i as usize)?;
            r.throttled().then(|| {
                let pct = r.throttled_periods_percent.unwrap_or(0.0);
                let limit = match g.limit {
                    Ok(Some(l)) => format!(" ({} CPU)", cpus_text(l.cpus())),
                    _ => String::new(),
                };
                (pct, format!("{} {:.0} %{limit}", g.name().text, pct))
            })
        })
        .collect();
    if hit.is_empty() {
        return None;
    }
    hit.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let more = hit.len().saturating_sub(2);
    let mut s = format!(
        "throttled: {}",
        hit.iter()
            .take(2)
            .map(|h| h.1.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if more > 0 {
        s.push_str(&format!(" (+{more} more)"));
    }
    Some(s)
}

/// Which shown cgroups' cpusets include each online CPU, when at least one shown cgroup's
/// cpuset is not every online CPU; `None` when they all cover every CPU (or none is
/// known). Each entry: the CPU id and the names of the cgroups that may run there.
pub fn cpuset_cover(snap: &Snapshot, shown: &[u32]) -> Option<Vec<(u32, Vec<String>)>> {
    let online: Vec<u32> = snap.system.cpus.iter().map(|c| c.id).collect();
    let sets: Vec<(String, Vec<u32>)> = shown
        .iter()
        .filter_map(|&i| {
            let g = snap.cgroups.groups.get(i as usize)?;
            let cpus = parse_cpu_list(g.cpuset.as_deref().ok()?)?;
            Some((g.name().text, cpus))
        })
        .collect();
    if sets.is_empty()
        || sets
            .iter()
            .all(|(_, c)| online.iter().all(|o| c.contains(o)))
    {
        return None;
    }
    Some(
        online
            .iter()
            .map(|&cpu| {
                let mut names: Vec<String> = sets
                    .iter()
                    .filter(|(_, c)| c.contains(&cpu))
                    .map(|(n, _)| n.clone())
                    .collect();
                names.sort();
                names.dedup();
                (cpu, names)
            })
            .collect(),
    )
}

/// `cpuset_cover` as lines for the CPU pane: `cpu1: nginx.service, docker:0123456789ab`.
pub fn cpuset_lines(snap: &Snapshot, shown: &[u32]) -> Vec<String> {
    cpuset_cover(snap, shown)
        .unwrap_or_default()
        .into_iter()
        .map(|(cpu, names)| {
            if names.is_empty() {
                format!("cpu{cpu}: no shown cgroup")
            } else {
                format!("cpu{cpu}: {}", names.join(", "))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::cgroup::{Cgroups, CpuLimit, Pressure, ProcCgroup, Throttle};
    use crate::collect::{CpuSample, ProcessInfo, SystemInfo};

    const SEC: u64 = 1_000_000_000;

    fn group(path: &str, ino: u64, cpuset: &str, t: Throttle, usage_ns: u64) -> CgroupInfo {
        CgroupInfo {
            version: 2,
            path: path.as_bytes().to_vec(),
            cpuset_path: None,
            ino,
            limit: Ok(Some(CpuLimit {
                quota_us: 50_000,
                period_us: 100_000,
            })),
            cpuset: Ok(cpuset.into()),
            usage_ns: Ok(usage_ns),
            throttle: Ok(t),
            pressure: Ok(Pressure {
                some_us: usage_ns / 2000,
                full_us: Some(0),
            }),
        }
    }

    /// Process 10 (threads 10, 11, 12: 11 and 12 runnable) in `svc`, process 20 in `other`.
    fn snap(at: u64, svc: CgroupInfo, other: CgroupInfo) -> Snapshot {
        let task = |tid: u32, tgid: u32, state: u8| TaskInfo {
            tid,
            tgid,
            state,
            start_ticks: 5,
            ..TaskInfo::EMPTY
        };
        let proc_ = |tgid: u32, tasks: Vec<TaskInfo>| ProcessInfo::of_tasks(tgid, 1, tasks);
        Snapshot {
            boot_ns: at * SEC,
            scan_ns: 0,
            clk_tck: 100,
            page_size: 4096,
            processes: vec![
                proc_(
                    10,
                    vec![task(10, 10, b'S'), task(11, 10, b'R'), task(12, 10, b'R')],
                ),
                proc_(20, vec![task(20, 20, b'S')]),
            ],
            system: SystemInfo {
                cpus: (0..4)
                    .map(|id| CpuSample {
                        id,
                        times: Default::default(),
                    })
                    .collect(),
                ..SystemInfo::default()
            },
            notes: Default::default(),
            shares: None,
            schedstat_read: true,
            events: Default::default(),
            partial: false,
            waits: None,
            task_source: Default::default(),
            cgroups: Cgroups {
                unavailable: None,
                groups: vec![svc, other],
                procs: vec![
                    ProcCgroup {
                        tgid: 10,
                        group: Ok(0),
                        threads: Vec::new(),
                    },
                    ProcCgroup {
                        tgid: 20,
                        group: Ok(1),
                        threads: Vec::new(),
                    },
                ],
            },
        }
    }

    fn th(periods: u64, throttled: u64, ns: u64) -> Throttle {
        Throttle {
            periods,
            throttled,
            throttled_ns: ns,
        }
    }

    #[test]
    fn rates_over_the_interval_and_a_cgroup_made_again_has_none() {
        let a = snap(
            10,
            group("/svc", 7, "0-1", th(100, 10, SEC), 3 * SEC),
            group("/other", 8, "0-3", th(0, 0, 0), 0),
        );
        let b = snap(
            12,
            group("/svc", 7, "0-1", th(120, 25, 3 * SEC / 2), 4 * SEC),
            // Same path, new inode: removed and made again between the ticks.
            group("/other", 9, "0-3", th(0, 0, 0), 5 * SEC),
        );
        let r = cgroup_rates(Some(&a), &b);
        assert_eq!(r[0].usage_percent, Ok(50.0));
        assert_eq!(r[0].throttled_percent, Ok(25.0));
        assert_eq!(r[0].nr_throttled_per_sec, Ok(7.5));
        assert_eq!(r[0].throttled_periods_percent, Ok(75.0));
        assert_eq!(r[0].pressure_some_percent, Ok(25.0));
        assert_eq!(r[0].pressure_full_percent, Ok(0.0));
        assert!(r[0].throttled());
        assert_eq!(r[1], CgroupRate::unknown(Why::NoRate));
        // No previous snapshot: unknown, not zero.
        assert_eq!(cgroup_rates(None, &b)[0].usage_percent, Err(Why::NoRate));
        // A counter that went backwards is no rate either.
        let back = snap(
            14,
            group("/svc", 7, "0-1", th(1, 0, 0), 0),
            group("/other", 9, "0-3", th(0, 0, 0), 0),
        );
        assert_eq!(
            cgroup_rates(Some(&b), &back)[0].usage_percent,
            Err(Why::NoRate)
        );
    }

    #[test]
    fn the_card_says_how_throttled_with_the_limit_and_the_busy_threads() {
        let a = snap(
            10,
            group("/system.slice/app.service", 7, "0-3", th(100, 10, SEC), 0),
            group("/other", 8, "0-3", th(0, 0, 0), 0),
        );
        let b = snap(
            11,
            group("/system.slice/app.service", 7, "0-3", th(110, 13, SEC), 0),
            group("/other", 8, "0-3", th(0, 0, 0), 0),
        );
        let rates = cgroup_rates(Some(&a), &b);
        let lines = explain_lines(&b, &rates, &Rates::default(), Some(1.0), 10, &[11]);
        assert_eq!(
            lines,
            vec![
                "Cgroup: app.service (v2 /system.slice/app.service): it may use 0.5 CPU, on CPUs 0-3."
                    .to_string(),
                "Throttled in 30 % of the last second's CPU periods: its cgroup may use 0.5 CPU and its 2 busy threads want 2."
                    .to_string(),
            ]
        );
        // Not throttled: the cgroup line only.
        let calm = explain_lines(&b, &rates, &Rates::default(), Some(1.0), 20, &[20]);
        assert_eq!(
            calm,
            vec!["Cgroup: other (v2 /other): it may use 0.5 CPU, on CPUs 0-3.".to_string()]
        );
        // Unknown: says why.
        let mut none = b.clone();
        none.cgroups = Cgroups::unavailable(Why::NotRecorded);
        assert_eq!(
            explain_lines(&none, &[], &Rates::default(), Some(1.0), 10, &[10]),
            vec!["Cgroup: unknown (not in this recording).".to_string()]
        );
        // The header hint names the throttled cgroup among the shown ones only.
        assert_eq!(
            throttle_hint(&b, &rates, &[0, 1]).as_deref(),
            Some("throttled: app.service 30 % (0.5 CPU)")
        );
        assert_eq!(throttle_hint(&b, &rates, &[1]), None);
        assert_eq!(groups_of(&b, [(10, 12), (20, 20), (10, 10)]), vec![0, 1]);
        let rows = crate::model::build_rows(&b, &Rates::default(), &Default::default());
        assert_eq!(groups_of_rows(&b, &rows), vec![0, 1]);
        let only_20: Vec<_> = rows.into_iter().filter(|r| r.tgid == 20).collect();
        assert_eq!(groups_of_rows(&b, &only_20), vec![1]);
        assert_eq!(cell(&b, 10, 11), "app.service");
        assert_eq!(cell(&b, 99, 99), "-");
    }

    #[test]
    fn cpusets_covering_each_cpu_only_when_not_all() {
        let b = snap(
            11,
            group(
                "/docker/0123456789abcdef0123456789abcdef",
                7,
                "0-1",
                th(0, 0, 0),
                0,
            ),
            group("/other", 8, "0-3", th(0, 0, 0), 0),
        );
        assert_eq!(
            cpuset_lines(&b, &[0, 1]),
            vec![
                "cpu0: docker:0123456789ab, other",
                "cpu1: docker:0123456789ab, other",
                "cpu2: other",
                "cpu3: other",
            ]
        );
        // Every shown cgroup may use every CPU: nothing to say.
        assert_eq!(cpuset_cover(&b, &[1]), None);
        assert!(cpuset_lines(&b, &[1]).is_empty());
        assert_eq!(cpus_text(0.5), "0.5");
        assert_eq!(cpus_text(2.0), "2");
        assert_eq!(cpus_text(1.25), "1.25");
    }

    #[test]
    fn the_filter_and_cgroup_option_match_cgroup_names_and_paths() {
        use crate::model::filter::{Filter, Pattern};
        use crate::model::{ViewOptions, build_rows};
        let mut b = snap(
            11,
            group("/system.slice/app.service", 7, "0-3", th(0, 0, 0), 0),
            group(
                "/docker/0123456789abcdef0123456789abcdef",
                8,
                "0-3",
                th(0, 0, 0),
                0,
            ),
        );
        // Thread 12 of process 10 sits in the container's cgroup (threaded mode).
        b.cgroups.procs[0].threads = vec![(12, Ok(1))];
        let rows = |b: &Snapshot, opts: &ViewOptions| -> Vec<u32> {
            let mut v: Vec<u32> = build_rows(b, &Rates::default(), opts)
                .iter()
                .filter(|r| r.kind == crate::model::RowKind::Thread || r.threads <= 1)
                .map(|r| r.tid)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let cg = |name: &str| ViewOptions {
            cgroup: Some(Pattern::new(name)),
            tree: false,
            ..ViewOptions::default()
        };
        let slash = |text: &str| ViewOptions {
            filter: Filter::parse(text),
            tree: false,
            ..ViewOptions::default()
        };
        let tids = |opts: &ViewOptions| rows(&b, opts);
        // --cgroup by unit name, by container name, by a part of the path.
        assert_eq!(tids(&cg("app.service")), vec![10, 11]);
        assert_eq!(tids(&cg("docker:0123")), vec![12, 20]);
        assert_eq!(tids(&cg("0123456789abcdef0123")), vec![12, 20]);
        assert!(tids(&cg("nothing-like-it")).is_empty());
        // The / filter finds tasks by their cgroup too (the leader's: the whole process).
        assert_eq!(tids(&slash("APP.service")), Vec::<u32>::new());
        assert!(tids(&slash("app.service")).contains(&11));
        assert_eq!(tids(&slash("docker:")), vec![12, 20]);
        // Unknown cgroups: not shown under --cgroup (not known to match), never an error.
        let mut b = b.clone();
        b.cgroups = Cgroups::unavailable(Why::NotRecorded);
        assert!(rows(&b, &cg("app")).is_empty());
        assert_eq!(rows(&b, &slash("app.service")), Vec::<u32>::new());
    }
}
