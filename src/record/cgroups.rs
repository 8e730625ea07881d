//! The cgroup section of a tick (format 2 on): the snapshot's `Cgroups`, encoded after the
//! processes. A cgroup seen in the previous tick is referred to by its index there and its
//! counters are deltas; an unchanged task-to-cgroup map is one byte. Ticks of format 1
//! have no such section: their snapshots say `NotRecorded`.

use super::wire::{Reader, WireError, Writer};
use crate::collect::cgroup::{CgroupInfo, Cgroups, CpuLimit, Pressure, ProcCgroup, Throttle, Why};

/// More than this many cgroups or processes in one tick is corruption.
const MAX_ITEMS: u64 = 1 << 22;

fn put_why(w: &mut Writer, r: Result<(), Why>) {
    match r {
        Ok(()) => w.byte(0),
        Err(why) => w.byte(1 + why.code()),
    }
}

fn get_why(r: &mut Reader) -> Result<Result<(), Why>, WireError> {
    match r.byte()? {
        0 => Ok(Ok(())),
        c => Why::from_code(u64::from(c) - 1)
            .map(Err)
            .ok_or(WireError("bad cgroup reason")),
    }
}

fn put_index(w: &mut Writer, r: Result<u32, Why>) {
    match r {
        Ok(i) => {
            w.byte(0);
            w.u(u64::from(i));
        }
        Err(why) => w.byte(1 + why.code()),
    }
}

fn get_index(r: &mut Reader, groups: usize) -> Result<Result<u32, Why>, WireError> {
    match get_why(r)? {
        Err(w) => Ok(Err(w)),
        Ok(()) => {
            let i = r.u32()?;
            if i as usize >= groups {
                return Err(WireError("cgroup index out of range"));
            }
            Ok(Ok(i))
        }
    }
}

fn same_key(a: &CgroupInfo, b: &CgroupInfo) -> bool {
    a.version == b.version && a.path == b.path && a.cpuset_path == b.cpuset_path
}

pub fn encode(w: &mut Writer, prev: Option<&Cgroups>, cur: &Cgroups) {
    put_why(w, cur.unavailable.map_or(Ok(()), Err));
    w.u(cur.groups.len() as u64);
    for g in &cur.groups {
        let old_at = prev.and_then(|p| p.groups.iter().position(|o| same_key(o, g)));
        let old = old_at.and_then(|i| prev.map(|p| &p.groups[i]));
        match old_at {
            Some(i) => w.u(i as u64 + 1),
            None => {
                w.u(0);
                w.byte(g.version);
                w.bytes(&g.path);
                match &g.cpuset_path {
                    Some(c) => {
                        w.byte(1);
                        w.bytes(c);
                    }
                    None => w.byte(0),
                }
            }
        }
        w.delta(old.map_or(0, |o| o.ino), g.ino);
        put_why(w, g.limit.map(|_| ()));
        if let Ok(l) = g.limit {
            match l {
                _ if old.is_some_and(|o| o.limit == g.limit) => w.byte(2),
                None => w.byte(0),
                Some(l) => {
                    w.byte(1);
                    w.u(l.quota_us);
                    w.u(l.period_us);
                }
            }
        }
        put_why(w, g.cpuset.as_ref().map(|_| ()).map_err(|e| *e));
        if let Ok(c) = &g.cpuset {
            match old.map(|o| &o.cpuset) {
                Some(Ok(o)) if o == c => w.byte(0),
                _ => {
                    w.byte(1);
                    w.bytes(c.as_bytes());
                }
            }
        }
        put_why(w, g.usage_ns.map(|_| ()));
        if let Ok(u) = g.usage_ns {
            w.delta(old.and_then(|o| o.usage_ns.ok()).unwrap_or(0), u);
        }
        put_why(w, g.throttle.map(|_| ()));
        if let Ok(t) = g.throttle {
            let b = old.and_then(|o| o.throttle.ok()).unwrap_or_default();
            w.delta(b.periods, t.periods);
            w.delta(b.throttled, t.throttled);
            w.delta(b.throttled_ns, t.throttled_ns);
        }
        put_why(w, g.pressure.map(|_| ()));
        if let Ok(p) = g.pressure {
            let b = old.and_then(|o| o.pressure.ok()).unwrap_or_default();
            w.delta(b.some_us, p.some_us);
            match p.full_us {
                None => w.byte(0),
                Some(f) => {
                    w.byte(1);
                    w.delta(b.full_us.unwrap_or(0), f);
                }
            }
        }
    }
    // The map of processes to cgroups: most ticks it is the previous one.
    let unchanged = prev.is_some_and(|p| {
        p.procs == cur.procs
            && p.groups.len() == cur.groups.len()
            && p.groups
                .iter()
                .zip(&cur.groups)
                .all(|(a, b)| same_key(a, b))
    });
    if unchanged {
        w.byte(1);
        return;
    }
    w.byte(0);
    w.u(cur.procs.len() as u64);
    let mut last = 0u64;
    for p in &cur.procs {
        w.delta(last, u64::from(p.tgid));
        last = u64::from(p.tgid);
        put_index(w, p.group);
        w.u(p.threads.len() as u64);
        let mut last_tid = p.tgid;
        for (tid, g) in &p.threads {
            w.i(i64::from(*tid) - i64::from(last_tid));
            last_tid = *tid;
            put_index(w, *g);
        }
    }
}

fn count(r: &mut Reader) -> Result<u64, WireError> {
    let n = r.u()?;
    if n > MAX_ITEMS {
        return Err(WireError("too many cgroups"));
    }
    Ok(n)
}

pub fn decode(r: &mut Reader, prev: Option<&Cgroups>) -> Result<Cgroups, WireError> {
    let unavailable = get_why(r)?.err();
    let n = count(r)?;
    let mut groups = Vec::with_capacity(n.min(1 << 12) as usize);
    for _ in 0..n {
        let old = match r.u()? {
            0 => None,
            i => Some(
                prev.and_then(|p| p.groups.get(i as usize - 1))
                    .ok_or(WireError("cgroup delta without a previous one"))?,
            ),
        };
        let (version, path, cpuset_path) = match old {
            Some(o) => (o.version, o.path.clone(), o.cpuset_path.clone()),
            None => {
                let version = r.byte()?;
                let path = r.bytes()?.to_vec();
                let cpuset_path = match r.byte()? {
                    0 => None,
                    _ => Some(r.bytes()?.to_vec()),
                };
                (version, path, cpuset_path)
            }
        };
        let ino = r.delta(old.map_or(0, |o| o.ino))?;
        let limit = match get_why(r)? {
            Err(w) => Err(w),
            Ok(()) => Ok(match r.byte()? {
                0 => None,
                2 => match old.map(|o| o.limit) {
                    Some(Ok(l)) => l,
                    _ => return Err(WireError("limit delta without a previous one")),
                },
                _ => Some(CpuLimit {
                    quota_us: r.u()?,
                    period_us: r.u()?,
                }),
            }),
        };
        let cpuset = match get_why(r)? {
            Err(w) => Err(w),
            Ok(()) => Ok(match r.byte()? {
                0 => match old.map(|o| &o.cpuset) {
                    Some(Ok(c)) => c.clone(),
                    _ => return Err(WireError("cpuset delta without a previous one")),
                },
                _ => String::from_utf8_lossy(r.bytes()?).into_owned(),
            }),
        };
        let usage_ns = match get_why(r)? {
            Err(w) => Err(w),
            Ok(()) => Ok(r.delta(old.and_then(|o| o.usage_ns.ok()).unwrap_or(0))?),
        };
        let throttle = match get_why(r)? {
            Err(w) => Err(w),
            Ok(()) => {
                let b = old.and_then(|o| o.throttle.ok()).unwrap_or_default();
                Ok(Throttle {
                    periods: r.delta(b.periods)?,
                    throttled: r.delta(b.throttled)?,
                    throttled_ns: r.delta(b.throttled_ns)?,
                })
            }
        };
        let pressure = match get_why(r)? {
            Err(w) => Err(w),
            Ok(()) => {
                let b = old.and_then(|o| o.pressure.ok()).unwrap_or_default();
                let some_us = r.delta(b.some_us)?;
                let full_us = match r.byte()? {
                    0 => None,
                    _ => Some(r.delta(b.full_us.unwrap_or(0))?),
                };
                Ok(Pressure { some_us, full_us })
            }
        };
        groups.push(CgroupInfo {
            version,
            path,
            cpuset_path,
            ino,
            limit,
            cpuset,
            usage_ns,
            throttle,
            pressure,
        });
    }
    let procs = match r.byte()? {
        1 => prev
            .map(|p| p.procs.clone())
            .ok_or(WireError("cgroup map delta without a previous tick"))?,
        _ => {
            let n = count(r)?;
            let mut procs = Vec::with_capacity(n.min(1 << 16) as usize);
            let mut last = 0u64;
            for _ in 0..n {
                last = r.delta(last)?;
                let tgid = u32::try_from(last).map_err(|_| WireError("bad tgid"))?;
                let group = get_index(r, groups.len())?;
                let nt = count(r)?;
                let mut threads = Vec::with_capacity(nt.min(1 << 12) as usize);
                let mut last_tid = tgid;
                for _ in 0..nt {
                    last_tid = i64::from(last_tid)
                        .checked_add(r.i()?)
                        .and_then(|t| u32::try_from(t).ok())
                        .ok_or(WireError("bad tid"))?;
                    threads.push((last_tid, get_index(r, groups.len())?));
                }
                procs.push(ProcCgroup {
                    tgid,
                    group,
                    threads,
                });
            }
            procs
        }
    };
    Ok(Cgroups {
        unavailable,
        groups,
        procs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str, ino: u64, usage: u64) -> CgroupInfo {
        CgroupInfo {
            version: 2,
            path: path.as_bytes().to_vec(),
            cpuset_path: None,
            ino,
            limit: Ok(Some(CpuLimit {
                quota_us: 50_000,
                period_us: 100_000,
            })),
            cpuset: Ok("0-3".into()),
            usage_ns: Ok(usage),
            throttle: Ok(Throttle {
                periods: usage / 10,
                throttled: usage / 100,
                throttled_ns: usage / 2,
            }),
            pressure: Ok(Pressure {
                some_us: usage / 3,
                full_us: Some(usage / 7),
            }),
        }
    }

    fn round(prev: Option<&Cgroups>, cur: &Cgroups) -> (usize, Cgroups) {
        let mut w = Writer::default();
        encode(&mut w, prev, cur);
        let mut r = Reader::new(&w.buf);
        let back = decode(&mut r, prev).expect("decodes");
        assert!(r.is_empty());
        (w.buf.len(), back)
    }

    #[test]
    fn keyframes_deltas_unknowns_and_split_threads_round_trip() {
        let a = Cgroups {
            unavailable: None,
            groups: vec![info("/a", 5, 1000), info("/b b\x1b", 6, 0)],
            procs: vec![
                ProcCgroup {
                    tgid: 10,
                    group: Ok(0),
                    threads: vec![(12, Ok(1)), (13, Err(Why::Denied))],
                },
                ProcCgroup {
                    tgid: 20,
                    group: Err(Why::Vanished),
                    threads: Vec::new(),
                },
            ],
        };
        assert_eq!(round(None, &a).1, a);
        // Counters moved on, nothing else: a few bytes a cgroup, one for the map.
        let mut b = a.clone();
        b.groups[0].usage_ns = Ok(1500);
        let (n, back) = round(Some(&a), &b);
        assert_eq!(back, b);
        assert!(n < 40, "{n} bytes");
        // A cgroup made again (new inode), unknown facts, a cpuset change, a new map.
        let mut c = b.clone();
        c.groups[1].ino = 9;
        c.groups[1].pressure = Err(Why::NoPsi);
        c.groups[1].limit = Ok(None);
        c.groups[0].cpuset = Ok("1".into());
        c.groups.push(CgroupInfo::unknown(
            1,
            b"/v1".to_vec(),
            Why::NoCpuController,
        ));
        c.groups[2].cpuset_path = Some(b"/pinned".to_vec());
        c.procs[1].group = Ok(2);
        assert_eq!(round(Some(&b), &c).1, c);
        let none = Cgroups::unavailable(Why::NotRead);
        assert_eq!(round(Some(&c), &none).1, none);
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics() {
        let a = Cgroups {
            unavailable: None,
            groups: vec![info("/a", 5, 1000)],
            procs: vec![ProcCgroup {
                tgid: 10,
                group: Ok(0),
                threads: vec![(12, Ok(0))],
            }],
        };
        let mut w = Writer::default();
        encode(&mut w, None, &a);
        for cut in 0..w.buf.len() {
            let _ = decode(&mut Reader::new(&w.buf[..cut]), None);
            let mut bad = w.buf.clone();
            bad[cut] ^= 0xff;
            let _ = decode(&mut Reader::new(&bad), None);
            let _ = decode(&mut Reader::new(&bad), Some(&a));
        }
        // A delta against nothing is an error.
        let mut d = Writer::default();
        encode(&mut d, Some(&a), &a);
        assert!(decode(&mut Reader::new(&d.buf), None).is_err());
    }
}
