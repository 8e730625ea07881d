//! `--json`'s cgroup fields: each task's `cgroup`, and `cgroups[]` for every cgroup that
//! holds a listed task. Unknown values are `null`, with the reason in the entry's
//! `unknown` object (a `null` `cpu_limit` without a reason means unlimited).

use serde::Serialize;

use crate::collect::cgroup::{CgroupInfo, Why};
use crate::model::Model;
use crate::model::cgroups::CgroupRate;
use crate::text::escape;

#[derive(Serialize)]
pub struct Cgroup {
    /// As in /proc/TID/cgroup (v1: the cpu controller's path), escaped.
    pub path: String,
    pub name: String,
    pub version: u8,
    /// v1, when the tasks' cpuset cgroup is another path than `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset_path: Option<String>,
    /// CPUs (0.5 = half of one); `null` when unlimited (or unknown: see `unknown`).
    pub cpu_limit: Option<f64>,
    /// Effective cpuset as a CPU list, `"0-3,8"`.
    pub cpuset: Option<String>,
    /// 100 = one CPU.
    pub usage_percent: Option<f64>,
    /// Time throttled summed over CPUs, % of the interval (100 = one CPU's worth).
    pub throttled_percent: Option<f64>,
    pub nr_throttled_per_sec: Option<f64>,
    /// % of the interval's enforcement periods that ran out of quota.
    pub throttled_periods_percent: Option<f64>,
    pub pressure_some_percent: Option<f64>,
    pub pressure_full_percent: Option<f64>,
    /// Why a field is `null`, by field name; absent when nothing is unknown.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

fn why_value(w: Why) -> serde_json::Value {
    serde_json::to_value(w).unwrap_or(serde_json::Value::Null)
}

fn cgroup(g: &CgroupInfo, r: Option<&CgroupRate>) -> Cgroup {
    let mut unknown = serde_json::Map::new();
    let mut take = |field: &str, v: Result<f64, Why>| match v {
        Ok(v) => Some(v),
        Err(w) => {
            unknown.insert(field.into(), why_value(w));
            None
        }
    };
    let none = Err(Why::NoRate);
    let rate = |f: fn(&CgroupRate) -> Result<f64, Why>| r.map_or(none, f);
    let cpu_limit = match g.limit {
        Ok(l) => l.map(|l| l.cpus()),
        Err(w) => take("cpu_limit", Err(w)),
    };
    let cpuset = match &g.cpuset {
        Ok(c) => Some(c.clone()),
        Err(w) => {
            take("cpuset", Err(*w));
            None
        }
    };
    Cgroup {
        path: escape(&g.path),
        name: g.name().text,
        version: g.version,
        cpuset_path: g.cpuset_path.as_deref().map(escape),
        cpu_limit,
        cpuset,
        usage_percent: take("usage_percent", rate(|r| r.usage_percent)),
        throttled_percent: take("throttled_percent", rate(|r| r.throttled_percent)),
        nr_throttled_per_sec: take("nr_throttled_per_sec", rate(|r| r.nr_throttled_per_sec)),
        throttled_periods_percent: take(
            "throttled_periods_percent",
            rate(|r| r.throttled_periods_percent),
        ),
        pressure_some_percent: take("pressure_some_percent", rate(|r| r.pressure_some_percent)),
        pressure_full_percent: take("pressure_full_percent", rate(|r| r.pressure_full_percent)),
        unknown,
    }
}

/// A task's `cgroup` (escaped path) and, when `null`, why.
pub fn task_cgroup(m: &Model, tgid: u32, tid: u32) -> (Option<String>, Option<Why>) {
    match m.current.cgroups.of(tgid, tid) {
        Ok(g) => (Some(escape(&g.path)), None),
        Err(w) => (None, Some(w)),
    }
}

/// `cgroups[]`: every cgroup holding one of `tasks` (TGID, TID), in the snapshot's order.
pub fn cgroups(m: &Model, tasks: impl IntoIterator<Item = (u32, u32)>) -> Vec<Cgroup> {
    let snap = &m.current;
    crate::model::cgroups::groups_of(snap, tasks)
        .into_iter()
        .filter_map(|i| {
            let g = snap.cgroups.groups.get(i as usize)?;
            Some(cgroup(g, m.cgroups.get(i as usize)))
        })
        .collect()
}
