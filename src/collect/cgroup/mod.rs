//! Which cgroup each task runs in, and what that cgroup may use and what it got.
//!
//! A task's cgroup comes from `/proc/TGID/task/TID/cgroup`; the cgroup's facts (CPU limit,
//! effective cpuset, CPU usage, throttling, pressure) from its files under the cgroup
//! mounts found in `/proc/self/mountinfo`. Raw counters only: rates are the model's job
//! (`model::cgroups`). Anything that cannot be known is an `Err(Why)`, never a guess and
//! never an error for the rest of the snapshot.
//!
//! - `parse`: the file formats (hostile input: never panics).
//! - `mounts`: where each hierarchy is mounted, and a cgroup path's directory there.
//! - `name`: a readable name from a path (systemd unit, container, Kubernetes pod).
//! - `tracker`: the per-tick reading, cached so that a steady machine costs almost
//!   nothing per task (see its header for what is read when, and the figures).
//! - `facts`: one cgroup's files read into a `CgroupInfo`.

mod facts;
pub mod mounts;
pub mod name;
pub mod parse;
#[cfg(test)]
mod tests;
pub mod tracker;

use serde::Serialize;

pub use name::{NameKind, ReadableName, readable_name};
pub use tracker::CgroupTracker;

/// Why a cgroup fact (or a task's cgroup) is unknown. Serialized as snake_case in JSON's
/// `unknown` objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// No cgroup filesystem is mounted (or `/proc/self/mountinfo` could not be read).
    NotMounted,
    /// The hierarchy this fact lives in is not mounted here.
    HierarchyNotMounted,
    /// The path lies outside our cgroup namespace or outside the mounted subtree.
    OutsideNamespace,
    /// The cgroup was removed (or the task exited) while it was read.
    Vanished,
    /// Permission denied.
    Denied,
    /// The file was there but did not parse.
    Malformed,
    /// No cpu controller for this cgroup (v1 without a `cpu` hierarchy, v2 with the
    /// controller not enabled).
    NoCpuController,
    /// No cpuset controller for this cgroup.
    NoCpusetController,
    /// No pressure stall information: a kernel without PSI, or a v1 cgroup whose v2
    /// counterpart is another cgroup.
    NoPsi,
    /// The counter lives in another cgroup (v1: the task's cpuacct cgroup is not its cpu
    /// cgroup).
    OtherCgroup,
    /// Not read for this snapshot (the quick first pass).
    NotRead,
    /// The recording was made before cgroups were recorded.
    NotRecorded,
    /// A rate needs two readings of the same cgroup: this is its first (or its counter
    /// went backwards).
    NoRate,
}

impl Why {
    /// The reason in a few words, for the screen.
    pub fn words(self) -> &'static str {
        match self {
            Why::NotMounted => "no cgroup filesystem mounted",
            Why::HierarchyNotMounted => "its hierarchy is not mounted",
            Why::OutsideNamespace => "outside our cgroup namespace",
            Why::Vanished => "removed while read",
            Why::Denied => "permission denied",
            Why::Malformed => "unreadable format",
            Why::NoCpuController => "no cpu controller",
            Why::NoCpusetController => "no cpuset controller",
            Why::NoPsi => "no pressure information",
            Why::OtherCgroup => "counted in another cgroup",
            Why::NotRead => "not read yet",
            Why::NotRecorded => "not in this recording",
            Why::NoRate => "one reading so far",
        }
    }

    /// Every reason, in a fixed order (the recording's codes are positions in it).
    pub const ALL: [Why; 13] = [
        Why::NotMounted,
        Why::HierarchyNotMounted,
        Why::OutsideNamespace,
        Why::Vanished,
        Why::Denied,
        Why::Malformed,
        Why::NoCpuController,
        Why::NoCpusetController,
        Why::NoPsi,
        Why::OtherCgroup,
        Why::NotRead,
        Why::NotRecorded,
        Why::NoRate,
    ];

    pub fn code(self) -> u8 {
        Why::ALL.iter().position(|w| *w == self).unwrap_or(0) as u8
    }

    pub fn from_code(c: u64) -> Option<Why> {
        usize::try_from(c)
            .ok()
            .and_then(|i| Why::ALL.get(i))
            .copied()
    }
}

/// A CPU bandwidth limit: `quota_us` of CPU time every `period_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuLimit {
    pub quota_us: u64,
    pub period_us: u64,
}

impl CpuLimit {
    /// The limit in CPUs (0.5 = half of one CPU).
    pub fn cpus(&self) -> f64 {
        self.quota_us as f64 / self.period_us.max(1) as f64
    }
}

/// CFS bandwidth counters from `cpu.stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttle {
    /// Enforcement periods that had runnable tasks.
    pub periods: u64,
    /// Periods in which the cgroup ran out of quota.
    pub throttled: u64,
    /// Time its run queues spent throttled, summed over CPUs, ns.
    pub throttled_ns: u64,
}

/// `cpu.pressure` totals, µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pressure {
    pub some_us: u64,
    /// Absent on kernels before 5.13 for cpu.
    pub full_us: Option<u64>,
}

/// One cgroup that holds at least one task of the snapshot, with its raw counters.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupInfo {
    /// 1 or 2.
    pub version: u8,
    /// The path as `/proc/TID/cgroup` gives it (v1: the cpu controller's path), raw bytes.
    pub path: Vec<u8>,
    /// v1 only, when the task's cpuset cgroup is not at `path`: the cpuset controller's.
    pub cpuset_path: Option<Vec<u8>>,
    /// Inode of the cgroup's directory (0 when unknown): a cgroup removed and made again
    /// under the same path gets a new one, so its counters are never subtracted from the
    /// old one's.
    pub ino: u64,
    /// The tightest limit up the hierarchy; `Ok(None)` = unlimited.
    pub limit: Result<Option<CpuLimit>, Why>,
    /// The effective cpuset, a kernel CPU list (`0-3,8`).
    pub cpuset: Result<String, Why>,
    /// CPU time used by the cgroup's tasks, ns.
    pub usage_ns: Result<u64, Why>,
    pub throttle: Result<Throttle, Why>,
    pub pressure: Result<Pressure, Why>,
}

impl CgroupInfo {
    /// A cgroup whose facts are all unknown for one reason.
    pub fn unknown(version: u8, path: Vec<u8>, why: Why) -> Self {
        CgroupInfo {
            version,
            path,
            cpuset_path: None,
            ino: 0,
            limit: Err(why),
            cpuset: Err(why),
            usage_ns: Err(why),
            throttle: Err(why),
            pressure: Err(why),
        }
    }

    /// Identity across snapshots: the same path (and cpuset path) and the same directory.
    pub fn same_cgroup(&self, other: &CgroupInfo) -> bool {
        self.version == other.version
            && self.path == other.path
            && self.cpuset_path == other.cpuset_path
            && self.ino == other.ino
    }

    /// A readable name (systemd unit, container, pod, or the last path component).
    pub fn name(&self) -> ReadableName {
        readable_name(&self.path)
    }
}

/// The cgroups of one process: `group` for every task unless listed in `threads`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcCgroup {
    pub tgid: u32,
    /// Index into `Cgroups::groups`, or why it is unknown.
    pub group: Result<u32, Why>,
    /// Threads in another cgroup than `group` (cgroup v2 threaded mode, v1 per-thread
    /// placement), sorted by TID.
    pub threads: Vec<(u32, Result<u32, Why>)>,
}

/// Every cgroup that holds a task of the snapshot, and which task is where.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cgroups {
    /// Set when nothing was read at all (not read yet, not recorded).
    pub unavailable: Option<Why>,
    pub groups: Vec<CgroupInfo>,
    /// Sorted by TGID.
    pub procs: Vec<ProcCgroup>,
}

impl Cgroups {
    pub fn unavailable(why: Why) -> Self {
        Cgroups {
            unavailable: Some(why),
            ..Cgroups::default()
        }
    }

    /// The index in `groups` of task `tid` of process `tgid`.
    pub fn index_of(&self, tgid: u32, tid: u32) -> Result<u32, Why> {
        if let Some(why) = self.unavailable {
            return Err(why);
        }
        let p = self
            .procs
            .binary_search_by_key(&tgid, |p| p.tgid)
            .map(|i| &self.procs[i])
            .map_err(|_| Why::NotRead)?;
        match p.threads.binary_search_by_key(&tid, |t| t.0) {
            Ok(i) => p.threads[i].1,
            Err(_) => p.group,
        }
    }

    /// The cgroup of task `tid` of process `tgid`.
    pub fn of(&self, tgid: u32, tid: u32) -> Result<&CgroupInfo, Why> {
        let i = self.index_of(tgid, tid)?;
        self.groups.get(i as usize).ok_or(Why::NotRead)
    }
}
