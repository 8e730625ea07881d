//! One cgroup's files read into a `CgroupInfo`: limit, cpuset, usage, throttling, pressure.
//!
//! Every file is opened relative to its hierarchy's mount point (kept open) and closed
//! after one read: a handful of files per cgroup that holds a task, not per task. A cgroup
//! directory that is gone is `Vanished`; a file that is not there says which controller
//! or feature is missing.

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::fstat;
use rustix::io::Errno;

use super::mounts::{Mount, Mounts};
use super::parse::{keyed, parse_cpu_max, parse_cpuset, parse_pressure, parse_u64, parse_v1_quota};
use super::{CgroupInfo, CpuLimit, Pressure, Throttle, Why};
use crate::collect::kept_files::{open_rel, pread_whole};

/// Which cgroup a group of tasks is in, as far as CPU is concerned: what `CgroupInfo`s
/// are keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoxKey {
    pub version: u8,
    /// v1: the cpu controller's path (or, without one, some v1 hierarchy's); v2: the path.
    pub path: Vec<u8>,
    /// v1: the cpuset controller's path, when there is a cpuset hierarchy.
    pub cpuset: Option<Vec<u8>>,
    /// v1: the cpuacct path is `path` (else usage is another cgroup's).
    pub cpuacct_same: bool,
    /// v1 on a hybrid host: the v2 path is `path` (pressure comes from there).
    pub v2_same: bool,
    /// v1 with a cpu hierarchy (else no CPU facts at all).
    pub has_cpu: bool,
}

impl BoxKey {
    pub fn of(p: &super::parse::Placement) -> Option<BoxKey> {
        if let Some(cpu) = &p.cpu {
            return Some(BoxKey {
                version: 1,
                path: cpu.clone(),
                cpuset: p.cpuset.clone(),
                cpuacct_same: p.cpuacct.as_ref() == Some(cpu),
                v2_same: p.v2.as_ref() == Some(cpu),
                has_cpu: true,
            });
        }
        if let Some(v2) = &p.v2 {
            return Some(BoxKey {
                version: 2,
                path: v2.clone(),
                cpuset: None,
                cpuacct_same: false,
                v2_same: true,
                has_cpu: true,
            });
        }
        p.other_v1.as_ref().map(|path| BoxKey {
            version: 1,
            path: path.clone(),
            cpuset: p.cpuset.clone(),
            cpuacct_same: false,
            v2_same: false,
            has_cpu: false,
        })
    }
}

/// Mount points kept open: every cgroup file is opened relative to one of them.
#[derive(Debug, Default)]
pub struct MountFds {
    pub v2: Option<OwnedFd>,
    pub cpu: Option<OwnedFd>,
    pub cpuacct: Option<OwnedFd>,
    pub cpuset: Option<OwnedFd>,
}

fn open_dir(m: &Option<Mount>) -> Option<OwnedFd> {
    let m = m.as_ref()?;
    rustix::fs::open(
        &m.point,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()
}

impl MountFds {
    pub fn open(m: &Mounts) -> Self {
        MountFds {
            v2: open_dir(&m.v2),
            cpu: open_dir(&m.cpu),
            cpuacct: open_dir(&m.cpuacct),
            cpuset: open_dir(&m.cpuset),
        }
    }
}

/// A hierarchy: its mount and the mount point's descriptor.
#[derive(Clone, Copy)]
struct Hier<'a> {
    id: u8,
    mount: &'a Mount,
    fd: BorrowedFd<'a>,
}

fn hier<'a>(id: u8, m: &'a Option<Mount>, fd: &'a Option<OwnedFd>) -> Result<Hier<'a>, Why> {
    match (m, fd) {
        (Some(mount), Some(fd)) => Ok(Hier {
            id,
            mount,
            fd: fd.as_fd(),
        }),
        _ => Err(Why::HierarchyNotMounted),
    }
}

fn errno_why(e: Errno, absent: Why) -> Why {
    match e {
        Errno::NOENT => absent,
        Errno::ACCESS | Errno::PERM => Why::Denied,
        Errno::NODEV => Why::Vanished,
        Errno::OPNOTSUPP => Why::NoPsi,
        _ => Why::Malformed,
    }
}

/// One level's own limit: `Ok(None)` = no limit file there; `Ok(Some(None))` = unlimited.
pub type LevelLimit = Result<Option<Option<CpuLimit>>, Why>;

/// Per-tick reader: the scratch buffer and what was read this tick for parents shared by
/// several cgroups (their limits).
pub struct Reader<'a> {
    pub mounts: &'a Mounts,
    pub fds: &'a MountFds,
    pub buf: &'a mut Vec<u8>,
    /// (hierarchy, directory) -> that level's own limit: `None` = no limit file there.
    pub levels: HashMap<(u8, Vec<u8>), LevelLimit>,
}

impl Reader<'_> {
    fn read(&mut self, dir: BorrowedFd<'_>, rel: &[u8], name: &[u8]) -> Result<&[u8], Errno> {
        let mut path = Vec::with_capacity(rel.len() + name.len() + 1);
        path.extend_from_slice(rel);
        path.push(b'/');
        path.extend_from_slice(name);
        let fd = open_rel(dir, &path, false)?;
        let n = pread_whole(fd.as_fd(), self.buf)?;
        Ok(&self.buf[..n])
    }

    /// The facts of the cgroup `key`.
    pub fn facts(&mut self, key: &BoxKey) -> CgroupInfo {
        let mut info = CgroupInfo::unknown(key.version, key.path.clone(), Why::NotMounted);
        if key.version == 1 {
            info.cpuset_path = key.cpuset.clone().filter(|c| *c != key.path);
        }
        if !self.mounts.any {
            return info;
        }
        let m = self.mounts;
        let fds = self.fds;
        let primary = if key.version == 2 {
            hier(0, &m.v2, &fds.v2)
        } else if key.has_cpu {
            hier(1, &m.cpu, &fds.cpu)
        } else {
            Err(Why::NoCpuController)
        };
        let primary = match primary.and_then(|h| Ok((h, h.mount.relative(&key.path)?))) {
            Ok(p) => p,
            Err(why) => {
                let mut i = CgroupInfo::unknown(key.version, key.path.clone(), why);
                i.cpuset_path = info.cpuset_path;
                if key.version == 1 && !key.has_cpu {
                    i.cpuset = self.v1_cpuset(key);
                }
                return i;
            }
        };
        let (h, rel) = primary;
        // The directory itself: gone means the cgroup was removed since the task was seen.
        match open_rel(h.fd, &rel, true) {
            Ok(d) => info.ino = fstat(&d).map(|s| s.st_ino).unwrap_or(0),
            Err(e) => {
                let why = errno_why(e, Why::Vanished);
                let mut i = CgroupInfo::unknown(key.version, key.path.clone(), why);
                i.cpuset_path = info.cpuset_path;
                return i;
            }
        }
        info.limit = self.limit(h, &rel);
        let stat = self.read(h.fd, &rel, b"cpu.stat").map(<[u8]>::to_vec);
        if key.version == 2 {
            info.usage_ns = match &stat {
                Ok(s) => keyed(s, b"usage_usec")
                    .map(|u| u.saturating_mul(1000))
                    .ok_or(Why::Malformed),
                Err(e) => Err(errno_why(*e, Why::Vanished)),
            };
            info.throttle = match &stat {
                Ok(s) => match (
                    keyed(s, b"nr_periods"),
                    keyed(s, b"nr_throttled"),
                    keyed(s, b"throttled_usec"),
                ) {
                    (Some(periods), Some(throttled), Some(us)) => Ok(Throttle {
                        periods,
                        throttled,
                        throttled_ns: us.saturating_mul(1000),
                    }),
                    // Only the cpu controller adds them.
                    _ => Err(Why::NoCpuController),
                },
                Err(e) => Err(errno_why(*e, Why::Vanished)),
            };
            info.cpuset = self.v2_cpuset(h, &rel);
            info.pressure = self.pressure(h, &rel);
        } else {
            info.throttle = match &stat {
                Ok(s) => match (
                    keyed(s, b"nr_periods"),
                    keyed(s, b"nr_throttled"),
                    keyed(s, b"throttled_time"),
                ) {
                    (Some(periods), Some(throttled), Some(ns)) => Ok(Throttle {
                        periods,
                        throttled,
                        throttled_ns: ns,
                    }),
                    _ => Err(Why::Malformed),
                },
                Err(e) => Err(errno_why(*e, Why::Malformed)),
            };
            info.usage_ns = self.v1_usage(key);
            info.cpuset = self.v1_cpuset(key);
            info.pressure = if key.v2_same {
                hier(0, &m.v2, &fds.v2)
                    .and_then(|h2| Ok((h2, h2.mount.relative(&key.path)?)))
                    .map_err(|_| Why::NoPsi)
                    .and_then(|(h2, rel2)| self.pressure(h2, &rel2))
            } else {
                Err(Why::NoPsi)
            };
        }
        info
    }

    fn pressure(&mut self, h: Hier<'_>, rel: &[u8]) -> Result<Pressure, Why> {
        match self.read(h.fd, rel, b"cpu.pressure") {
            Ok(b) => parse_pressure(b).ok_or(Why::Malformed),
            Err(e) => Err(errno_why(e, Why::NoPsi)),
        }
    }

    fn v1_usage(&mut self, key: &BoxKey) -> Result<u64, Why> {
        if !key.cpuacct_same {
            // Mirrored on a hybrid host: the v2 cgroup at the same path counts the same tasks.
            if key.v2_same
                && let Ok(h2) = hier(0, &self.mounts.v2, &self.fds.v2)
                && let Ok(rel) = h2.mount.relative(&key.path)
                && let Ok(s) = self.read(h2.fd, &rel, b"cpu.stat")
            {
                return keyed(s, b"usage_usec")
                    .map(|u| u.saturating_mul(1000))
                    .ok_or(Why::Malformed);
            }
            return Err(Why::OtherCgroup);
        }
        let h = hier(2, &self.mounts.cpuacct, &self.fds.cpuacct)?;
        let rel = h.mount.relative(&key.path)?;
        match self.read(h.fd, &rel, b"cpuacct.usage") {
            Ok(b) => parse_u64(b).ok_or(Why::Malformed),
            Err(e) => Err(errno_why(e, Why::Vanished)),
        }
    }

    fn v1_cpuset(&mut self, key: &BoxKey) -> Result<String, Why> {
        let path = key.cpuset.as_ref().ok_or(Why::NoCpusetController)?;
        let h = hier(3, &self.mounts.cpuset, &self.fds.cpuset)?;
        let rel = h.mount.relative(path)?;
        // Mounted with `noprefix` the files lack the `cpuset.` prefix.
        let read = match self.read(h.fd, &rel, b"cpuset.effective_cpus") {
            Err(Errno::NOENT) => self.read(h.fd, &rel, b"effective_cpus"),
            r => r,
        };
        match read {
            Ok(b) => parse_cpuset(b).ok_or(Why::Malformed),
            Err(e) => Err(errno_why(e, Why::Vanished)),
        }
    }

    /// The nearest `cpuset.cpus.effective` up the hierarchy: a cgroup without the cpuset
    /// controller enabled uses its parent's CPUs.
    fn v2_cpuset(&mut self, h: Hier<'_>, rel: &[u8]) -> Result<String, Why> {
        for level in levels(rel) {
            match self.read(h.fd, &level, b"cpuset.cpus.effective") {
                Ok(b) => return parse_cpuset(b).ok_or(Why::Malformed),
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(errno_why(e, Why::Malformed)),
            }
        }
        Err(Why::NoCpusetController)
    }

    /// The tightest limit from the cgroup up to the mount's root.
    fn limit(&mut self, h: Hier<'_>, rel: &[u8]) -> Result<Option<CpuLimit>, Why> {
        let mut tightest: Option<CpuLimit> = None;
        let mut any = false;
        for level in levels(rel) {
            let own = match self.levels.get(&(h.id, level.clone())) {
                Some(r) => *r,
                None => {
                    let r = self.level_limit(h, &level);
                    self.levels.insert((h.id, level), r);
                    r
                }
            };
            match own? {
                None => {}
                Some(l) => {
                    any = true;
                    if let Some(l) = l
                        && tightest.is_none_or(|t| l.cpus() < t.cpus())
                    {
                        tightest = Some(l);
                    }
                }
            }
        }
        if !any && h.id == 0 && !self.v2_has_cpu(h) {
            return Err(Why::NoCpuController);
        }
        Ok(tightest)
    }

    /// One level's own limit: `Ok(None)` when the level has no limit file (v2: the cpu
    /// controller is not enabled there, or it is the root).
    fn level_limit(&mut self, h: Hier<'_>, level: &[u8]) -> LevelLimit {
        if h.id == 0 {
            return match self.read(h.fd, level, b"cpu.max") {
                Ok(b) => parse_cpu_max(b).map(Some).ok_or(Why::Malformed),
                Err(Errno::NOENT) => Ok(None),
                Err(e) => Err(errno_why(e, Why::Malformed)),
            };
        }
        let quota = match self.read(h.fd, level, b"cpu.cfs_quota_us") {
            Ok(b) => b.to_vec(),
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(errno_why(e, Why::Malformed)),
        };
        match self.read(h.fd, level, b"cpu.cfs_period_us") {
            Ok(p) => parse_v1_quota(&quota, p).map(Some).ok_or(Why::Malformed),
            Err(e) => Err(errno_why(e, Why::Malformed)),
        }
    }

    fn v2_has_cpu(&mut self, h: Hier<'_>) -> bool {
        self.read(h.fd, b".", b"cgroup.controllers")
            .is_ok_and(|b| b.split(|c| c.is_ascii_whitespace()).any(|c| c == b"cpu"))
    }
}

/// `a/b/c`, `a/b`, `a`, `.`: the cgroup and its parents up to the mount's root.
fn levels(rel: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if rel != b"." {
        let mut cur = rel;
        loop {
            out.push(cur.to_vec());
            match cur.iter().rposition(|&b| b == b'/') {
                Some(i) => cur = &cur[..i],
                None => break,
            }
        }
    }
    out.push(b".".to_vec());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_walk_up_to_the_root() {
        assert_eq!(
            levels(b"a/b c/d"),
            vec![
                b"a/b c/d".to_vec(),
                b"a/b c".to_vec(),
                b"a".to_vec(),
                b".".to_vec()
            ]
        );
        assert_eq!(levels(b"."), vec![b".".to_vec()]);
    }
}
