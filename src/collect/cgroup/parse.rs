//! Parsers for the cgroup files. Hostile input: a cgroup's name is any bytes but `/`
//! (spaces, `:`, escape sequences, even newlines), and a file read while its cgroup is
//! removed can come back empty. Every parser returns `None` on what it cannot read.

use super::CpuLimit;
use super::Pressure;

/// The paths of one task's cgroups that threadtop uses, from `/proc/TID/cgroup`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Placement {
    /// The cgroup v2 path (`0::/path`).
    pub v2: Option<Vec<u8>>,
    /// v1 controllers' paths.
    pub cpu: Option<Vec<u8>>,
    pub cpuacct: Option<Vec<u8>>,
    pub cpuset: Option<Vec<u8>>,
    /// Some v1 hierarchy's path (`name=systemd` first), for a host without a cpu hierarchy.
    pub other_v1: Option<Vec<u8>>,
}

/// Parses `/proc/TID/cgroup`: lines `ID:controllers:path`. The path runs to the end of the
/// line and may itself hold `:`. `None` when no line parses.
pub fn parse_task_cgroup(buf: &[u8]) -> Option<Placement> {
    let mut p = Placement::default();
    let mut any = false;
    for line in buf.split(|&b| b == b'\n') {
        let mut parts = line.splitn(3, |&b| b == b':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !path.starts_with(b"/") || id.is_empty() || !id.iter().all(u8::is_ascii_digit) {
            continue;
        }
        any = true;
        if id == b"0" && controllers.is_empty() {
            p.v2 = Some(path.to_vec());
            continue;
        }
        for c in controllers.split(|&b| b == b',') {
            match c {
                b"cpu" => p.cpu = Some(path.to_vec()),
                b"cpuacct" => p.cpuacct = Some(path.to_vec()),
                b"cpuset" => p.cpuset = Some(path.to_vec()),
                b"name=systemd" => p.other_v1 = Some(path.to_vec()),
                _ => {}
            }
        }
        if p.other_v1.is_none() {
            p.other_v1 = Some(path.to_vec());
        }
    }
    any.then_some(p)
}

/// A `key value` line's value from a flat-keyed file (`cpu.stat`).
pub fn keyed(buf: &[u8], key: &[u8]) -> Option<u64> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let mut it = line.split(|&b| b == b' ');
        (it.next()? == key).then(|| parse_u64(it.next()?))?
    })
}

pub fn parse_u64(s: &[u8]) -> Option<u64> {
    let s = s.trim_ascii();
    if s.is_empty() || s.len() > 20 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// v2 `cpu.max`: `max 100000` (unlimited: `Some(None)`) or `50000 100000`.
pub fn parse_cpu_max(buf: &[u8]) -> Option<Option<CpuLimit>> {
    let mut it = buf.trim_ascii().split(|&b| b == b' ');
    let quota = it.next()?;
    let period = parse_u64(it.next()?)?;
    if it.next().is_some() || period == 0 {
        return None;
    }
    if quota == b"max" {
        return Some(None);
    }
    Some(Some(CpuLimit {
        quota_us: parse_u64(quota)?,
        period_us: period,
    }))
}

/// v1 `cpu.cfs_quota_us` (`-1` = unlimited) with `cpu.cfs_period_us`.
pub fn parse_v1_quota(quota: &[u8], period: &[u8]) -> Option<Option<CpuLimit>> {
    let q = quota.trim_ascii();
    let period = parse_u64(period)?;
    if period == 0 {
        return None;
    }
    if q.first() == Some(&b'-') {
        return (q == b"-1").then_some(None);
    }
    Some(Some(CpuLimit {
        quota_us: parse_u64(q)?,
        period_us: period,
    }))
}

/// `cpu.pressure`: `some avg10=.. avg60=.. avg300=.. total=N` and, since 5.13, `full ...`.
pub fn parse_pressure(buf: &[u8]) -> Option<Pressure> {
    let total = |kind: &[u8]| {
        buf.split(|&b| b == b'\n').find_map(|line| {
            let mut it = line.split(|&b| b == b' ');
            if it.next()? != kind {
                return None;
            }
            it.find_map(|f| f.strip_prefix(b"total="))
                .and_then(parse_u64)
        })
    };
    Some(Pressure {
        some_us: total(b"some")?,
        full_us: total(b"full"),
    })
}

/// A cpuset file's CPU list, checked: `Some("")` for an empty set.
pub fn parse_cpuset(buf: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(buf.trim_ascii()).ok()?;
    if s.is_empty() {
        return Some(String::new());
    }
    crate::collect::topology::parse_cpu_list(s).map(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_cgroup_files_of_v2_v1_and_hybrid_hosts() {
        let v2 = parse_task_cgroup(b"0::/system.slice/nginx.service\n").expect("parsed");
        assert_eq!(v2.v2.as_deref(), Some(&b"/system.slice/nginx.service"[..]));
        assert_eq!(v2.cpu, None);
        let hybrid = b"12:cpuset:/\n11:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/session-3.scope\n0::/user.slice/session-3.scope\n";
        let h = parse_task_cgroup(hybrid).expect("parsed");
        assert_eq!(h.cpu.as_deref(), Some(&b"/user.slice"[..]));
        assert_eq!(h.cpuacct.as_deref(), Some(&b"/user.slice"[..]));
        assert_eq!(h.cpuset.as_deref(), Some(&b"/"[..]));
        assert_eq!(
            h.other_v1.as_deref(),
            Some(&b"/user.slice/session-3.scope"[..])
        );
        assert_eq!(h.v2.as_deref(), Some(&b"/user.slice/session-3.scope"[..]));
        // A path with `:`, spaces and an escape sequence is kept whole.
        let odd = parse_task_cgroup(b"0::/a b:c\x1b[31m\n").expect("parsed");
        assert_eq!(odd.v2.as_deref(), Some(&b"/a b:c\x1b[31m"[..]));
        // In a cgroup namespace, a task outside it shows as /.. paths; kept as they are.
        let ns = parse_task_cgroup(b"0::/../../other.slice\n").expect("parsed");
        assert_eq!(ns.v2.as_deref(), Some(&b"/../../other.slice"[..]));
        for bad in [&b""[..], b"garbage", b"x::/a", b"0::relative", b"\n\n"] {
            assert_eq!(parse_task_cgroup(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cpu_files() {
        assert_eq!(parse_cpu_max(b"max 100000\n"), Some(None));
        assert_eq!(
            parse_cpu_max(b"50000 100000\n"),
            Some(Some(CpuLimit {
                quota_us: 50000,
                period_us: 100000
            }))
        );
        for bad in [&b""[..], b"max", b"50000 0", b"-1 100000", b"1 2 3"] {
            assert_eq!(parse_cpu_max(bad), None, "{bad:?}");
        }
        assert_eq!(parse_v1_quota(b"-1\n", b"100000\n"), Some(None));
        assert_eq!(
            parse_v1_quota(b"50000\n", b"100000\n").map(|l| l.map(|l| l.cpus())),
            Some(Some(0.5))
        );
        assert_eq!(parse_v1_quota(b"-2\n", b"100000\n"), None);
        assert_eq!(parse_v1_quota(b"5\n", b"0\n"), None);
        let stat = b"usage_usec 17\nnr_periods 10\nnr_throttled 4\nthrottled_usec 900\n";
        assert_eq!(keyed(stat, b"nr_throttled"), Some(4));
        assert_eq!(keyed(stat, b"throttled_usec"), Some(900));
        assert_eq!(keyed(stat, b"throttled"), None);
        assert_eq!(keyed(b"nr_periods x\n", b"nr_periods"), None);
    }

    #[test]
    fn pressure_and_cpusets() {
        let p = parse_pressure(
            b"some avg10=1.00 avg60=0.50 avg300=0.10 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=56\n",
        );
        assert_eq!(
            p,
            Some(Pressure {
                some_us: 1234,
                full_us: Some(56)
            })
        );
        let old = parse_pressure(b"some avg10=1.00 avg60=0.50 avg300=0.10 total=9\n");
        assert_eq!(old.map(|p| p.full_us), Some(None));
        assert_eq!(parse_pressure(b""), None);
        assert_eq!(parse_cpuset(b"0-3,8\n").as_deref(), Some("0-3,8"));
        assert_eq!(parse_cpuset(b"\n").as_deref(), Some(""));
        assert_eq!(parse_cpuset(b"zz\n"), None);
    }
}
