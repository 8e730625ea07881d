//! One tick of a recording: a `Snapshot` encoded either whole (a keyframe) or as deltas
//! against the previous tick, then deflated. Tasks are matched by identity (TID + start
//! time); for a task that did not change every counter encodes as a zero byte, so a
//! machine of mostly sleeping threads costs a few bytes per thread before compression and
//! almost nothing after. Not recorded: share groups and wait channels (read on demand only).

use std::collections::HashMap;

use super::wire::{Reader, WireError, Writer};
use crate::collect::cgroup::{self, Cgroups};
use crate::collect::snapshot::saturate;
use crate::collect::topology::CpuTopology;
use crate::collect::*;

/// Deflate level: 6 is zlib's default balance of speed and size.
const LEVEL: u8 = 6;
/// A decompressed tick larger than this is corruption (50k threads need about 2 MiB).
const MAX_TICK: usize = 256 << 20;

fn unreadable_code(u: Unreadable) -> u64 {
    match u {
        Unreadable::Denied => 0,
        Unreadable::Malformed => 1,
        Unreadable::Absent => 2,
        Unreadable::NoDescriptors => 3,
    }
}

fn unreadable_from(c: u64) -> Result<Unreadable, WireError> {
    Ok(match c {
        0 => Unreadable::Denied,
        1 => Unreadable::Malformed,
        2 => Unreadable::Absent,
        3 => Unreadable::NoDescriptors,
        _ => return Err(WireError("bad unreadable code")),
    })
}

/// Option<u32>, with 0 meaning none.
fn put_opt(w: &mut Writer, v: Option<u32>) {
    w.u(v.map_or(0, |v| u64::from(v) + 1));
}

fn get_opt(r: &mut Reader) -> Result<Option<u32>, WireError> {
    Ok(match r.u()? {
        0 => None,
        v => Some(u32::try_from(v - 1).map_err(|_| WireError("value out of range"))?),
    })
}

fn put_times(w: &mut Writer, old: &CpuTimes, t: &CpuTimes) {
    for (o, n) in [
        (old.user, t.user),
        (old.nice, t.nice),
        (old.system, t.system),
        (old.idle, t.idle),
        (old.iowait, t.iowait),
        (old.irq, t.irq),
        (old.softirq, t.softirq),
        (old.steal, t.steal),
    ] {
        w.delta(o, n);
    }
}

fn get_times(r: &mut Reader, old: &CpuTimes) -> Result<CpuTimes, WireError> {
    Ok(CpuTimes {
        user: r.delta(old.user)?,
        nice: r.delta(old.nice)?,
        system: r.delta(old.system)?,
        idle: r.delta(old.idle)?,
        iowait: r.delta(old.iowait)?,
        irq: r.delta(old.irq)?,
        softirq: r.delta(old.softirq)?,
        steal: r.delta(old.steal)?,
    })
}

/// The base a new task's counters are encoded against.
const ZERO_TASK: TaskInfo = TaskInfo::EMPTY;

/// Encodes `cur`, as deltas against `prev` when given. The result is deflated.
pub fn encode(prev: Option<&Snapshot>, cur: &Snapshot) -> Vec<u8> {
    let mut w = Writer::default();
    w.u(cur.scan_ns);
    w.u(cur.clk_tck);
    w.u(cur.page_size);
    // System.
    let s = &cur.system;
    let old_sys = prev.map(|p| &p.system);
    w.u(s.cpus.len() as u64);
    for (i, c) in s.cpus.iter().enumerate() {
        w.u(u64::from(c.id));
        let base = old_sys
            .and_then(|o| o.cpus.get(i))
            .filter(|o| o.id == c.id)
            .map(|o| o.times)
            .unwrap_or_default();
        put_times(&mut w, &base, &c.times);
    }
    put_times(
        &mut w,
        &old_sys.map(|o| o.cpu_total).unwrap_or_default(),
        &s.cpu_total,
    );
    match s.mem {
        Some(m) => {
            w.byte(1);
            for v in [
                m.total_bytes,
                m.available_bytes,
                m.swap_total_bytes,
                m.swap_free_bytes,
            ] {
                w.u(v);
            }
        }
        None => w.byte(0),
    }
    match s.load {
        Some(l) => {
            w.byte(1);
            l.iter().for_each(|v| w.f64(*v));
        }
        None => w.byte(0),
    }
    match s.uptime_secs {
        Some(u) => {
            w.byte(1);
            w.f64(u);
        }
        None => w.byte(0),
    }
    if old_sys.is_some_and(|o| o.topology == s.topology) {
        w.byte(0);
    } else {
        w.byte(1);
        w.u(s.topology.len() as u64);
        for t in &s.topology {
            w.u(u64::from(t.id));
            put_opt(&mut w, t.core);
            put_opt(&mut w, t.package);
            put_opt(&mut w, t.node);
        }
    }
    let n = &cur.notes;
    w.u(u64::from(n.denied_tasks));
    w.u(u64::from(n.vanished));
    w.u(u64::from(n.malformed));
    w.byte(u8::from(n.hidepid));
    // Processes and tasks.
    let old_procs: HashMap<u32, &ProcessInfo> = prev
        .map(|p| p.processes.iter().map(|p| (p.tgid, p)).collect())
        .unwrap_or_default();
    let old_tasks: HashMap<TaskKey, &TaskInfo> = prev
        .map(|p| p.tasks().map(|t| (t.key(), t)).collect())
        .unwrap_or_default();
    w.u(cur.processes.len() as u64);
    let mut last_tgid = 0u64;
    for p in &cur.processes {
        w.delta(last_tgid, u64::from(p.tgid));
        last_tgid = u64::from(p.tgid);
        let old = old_procs.get(&p.tgid);
        w.u(u64::from(p.ppid));
        put_opt(&mut w, p.uid);
        match (&p.user, old.map(|o| &o.user)) {
            (u, Some(o)) if u == o => w.byte(0),
            (None, _) => w.byte(1),
            (Some(name), _) => {
                w.byte(2);
                w.bytes(name.as_bytes());
            }
        }
        match (&p.cmdline, old.map(|o| &o.cmdline)) {
            (c, Some(o)) if c == o => w.byte(0),
            (Err(e), _) => {
                w.byte(1);
                w.u(unreadable_code(*e));
            }
            (Ok(c), _) => {
                w.byte(2);
                w.bytes(c);
            }
        }
        w.delta(old.map_or(0, |o| o.rss_bytes), p.rss_bytes);
        put_opt(&mut w, p.tasks_error.map(|e| unreadable_code(e) as u32));
        w.u(p.tasks.len() as u64);
        // TIDs as steps from the previous one: threads made together are +1 apart, which
        // compresses to almost nothing; absolute TIDs would differ in every task.
        let mut last_tid = p.tgid;
        for t in &p.tasks {
            // Matched by identity, and in the same process: the decoder finds it by
            // (TGID, TID), which is unique even when a snapshot holds one TID twice (a
            // TID reused during a scan by a task of another process).
            let old = old_tasks
                .get(&t.key())
                .copied()
                .filter(|o| o.tgid == t.tgid);
            encode_task(&mut w, t, last_tid, old);
            last_tid = t.tid;
        }
    }
    // Format 2 on: the cgroups.
    super::cgroups::encode(&mut w, prev.map(|p| &p.cgroups), &cur.cgroups);
    // Format 3 on: the scheduling events' figures.
    super::events::encode(&mut w, &cur.events);
    miniz_oxide::deflate::compress_to_vec(&w.buf, LEVEL)
}

fn encode_task(w: &mut Writer, t: &TaskInfo, last_tid: u32, old: Option<&TaskInfo>) {
    w.i(i64::from(t.tid) - i64::from(last_tid));
    let base = match old {
        Some(o) => {
            w.byte(0);
            o
        }
        None => {
            w.byte(1);
            w.u(t.start_ticks);
            &ZERO_TASK
        }
    };
    if old.is_some() && base.comm == t.comm {
        w.byte(0);
    } else {
        w.byte(1);
        w.bytes(&t.comm);
    }
    w.byte(t.state);
    w.delta(u64::from(base.ppid), u64::from(t.ppid));
    w.delta(u64::from(base.flags), u64::from(t.flags));
    w.delta(base.utime_ticks, t.utime_ticks);
    w.delta(base.stime_ticks, t.stime_ticks);
    // As i64 differences, the format's since priority and nice were i64.
    w.i(i64::from(t.priority) - i64::from(base.priority));
    w.i(i64::from(t.nice) - i64::from(base.nice));
    w.delta(u64::from(base.num_threads), u64::from(t.num_threads));
    w.delta(base.rss_pages, t.rss_pages);
    let opt = |v: Option<u16>| v.map_or(0, |v| u64::from(v) + 1);
    w.delta(opt(base.processor), opt(t.processor));
    w.delta(u64::from(base.rt_priority), u64::from(t.rt_priority));
    w.delta(u64::from(base.policy), u64::from(t.policy));
    match t.schedstat {
        Ok(s) => {
            w.byte(0);
            let b = base.schedstat.unwrap_or_default();
            w.delta(b.run_ns, s.run_ns);
            w.delta(b.wait_ns, s.wait_ns);
            w.delta(b.timeslices, s.timeslices);
        }
        Err(e) => w.byte(1 + unreadable_code(e) as u8),
    }
    match t.detail() {
        None => w.byte(0),
        Some(Ok(d)) => {
            w.byte(1);
            let b = match base.detail() {
                Some(Ok(b)) => b.clone(),
                _ => TaskDetail::default(),
            };
            w.delta(b.voluntary_switches, d.voluntary_switches);
            w.delta(b.involuntary_switches, d.involuntary_switches);
            if b.cpus_allowed == d.cpus_allowed {
                w.byte(0);
            } else {
                w.byte(1);
                w.bytes(d.cpus_allowed.as_bytes());
            }
        }
        Some(Err(e)) => w.byte(2 + unreadable_code(*e) as u8),
    }
    put_opt(w, t.stat_error.map(|e| unreadable_code(e) as u32));
    match t.migrations() {
        None => w.byte(0),
        Some(Ok(m)) => {
            w.byte(1);
            w.u(m);
        }
        Some(Err(e)) => w.byte(2 + unreadable_code(e) as u8),
    }
}

/// Decodes a tick encoded by `encode` (this build's format) against the same `prev`.
pub fn decode(prev: Option<&Snapshot>, boot_ns: u64, data: &[u8]) -> Result<Snapshot, WireError> {
    decode_format(prev, boot_ns, data, super::file::VERSION)
}

/// Decodes a tick of file format `format` (1 had no cgroups: they are `NotRecorded`; 1
/// and 2 had no scheduling events: `NotCollected`).
pub fn decode_format(
    prev: Option<&Snapshot>,
    boot_ns: u64,
    data: &[u8],
    format: u32,
) -> Result<Snapshot, WireError> {
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(data, MAX_TICK)
        .map_err(|_| WireError("tick does not decompress"))?;
    let mut r = Reader::new(&raw);
    let scan_ns = r.u()?;
    let clk_tck = r.u()?;
    let page_size = r.u()?;
    let old_sys = prev.map(|p| &p.system);
    let ncpu = r.u()?;
    if ncpu > 1 << 16 {
        return Err(WireError("too many CPUs"));
    }
    let mut cpus = Vec::with_capacity(ncpu as usize);
    for i in 0..ncpu as usize {
        let id = r.u32()?;
        let base = old_sys
            .and_then(|o| o.cpus.get(i))
            .filter(|o| o.id == id)
            .map(|o| o.times)
            .unwrap_or_default();
        cpus.push(CpuSample {
            id,
            times: get_times(&mut r, &base)?,
        });
    }
    let cpu_total = get_times(&mut r, &old_sys.map(|o| o.cpu_total).unwrap_or_default())?;
    let mem = match r.byte()? {
        0 => None,
        _ => Some(MemInfo {
            total_bytes: r.u()?,
            available_bytes: r.u()?,
            swap_total_bytes: r.u()?,
            swap_free_bytes: r.u()?,
        }),
    };
    let load = match r.byte()? {
        0 => None,
        _ => Some([r.f64()?, r.f64()?, r.f64()?]),
    };
    let uptime_secs = match r.byte()? {
        0 => None,
        _ => Some(r.f64()?),
    };
    let topology = match r.byte()? {
        0 => old_sys
            .map(|o| o.topology.clone())
            .ok_or(WireError("delta without a previous tick"))?,
        _ => {
            let n = r.u()?;
            if n > 1 << 16 {
                return Err(WireError("too many CPUs"));
            }
            (0..n)
                .map(|_| {
                    Ok(CpuTopology {
                        id: r.u32()?,
                        core: get_opt(&mut r)?,
                        package: get_opt(&mut r)?,
                        node: get_opt(&mut r)?,
                    })
                })
                .collect::<Result<_, WireError>>()?
        }
    };
    let notes = ScanNotes {
        denied_tasks: r.u32()?,
        vanished: r.u32()?,
        malformed: r.u32()?,
        hidepid: r.byte()? != 0,
    };
    let old_procs: HashMap<u32, &ProcessInfo> = prev
        .map(|p| p.processes.iter().map(|p| (p.tgid, p)).collect())
        .unwrap_or_default();
    // (TGID, TID) is unique within one snapshot, so the previous tick's task with these is
    // the one the encoder matched by identity (it matches only within a process).
    let old_tasks: HashMap<(u32, u32), &TaskInfo> = prev
        .map(|p| p.tasks().map(|t| ((t.tgid, t.tid), t)).collect())
        .unwrap_or_default();
    let nproc = r.u()?;
    if nproc > 1 << 22 {
        return Err(WireError("too many processes"));
    }
    let mut processes = Vec::with_capacity(nproc.min(1 << 16) as usize);
    let mut last_tgid = 0u64;
    for _ in 0..nproc {
        last_tgid = r.delta(last_tgid)?;
        let tgid = u32::try_from(last_tgid).map_err(|_| WireError("bad tgid"))?;
        let old = old_procs.get(&tgid);
        let ppid = r.u32()?;
        let uid = get_opt(&mut r)?;
        let user = match r.byte()? {
            0 => old
                .ok_or(WireError("delta without a previous process"))?
                .user
                .clone(),
            1 => None,
            _ => Some(String::from_utf8_lossy(r.bytes()?).into_owned()),
        };
        let cmdline = match r.byte()? {
            0 => old
                .ok_or(WireError("delta without a previous process"))?
                .cmdline
                .clone(),
            1 => Err(unreadable_from(r.u()?)?),
            _ => Ok(r.bytes()?.to_vec()),
        };
        let rss_bytes = r.delta(old.map_or(0, |o| o.rss_bytes))?;
        let tasks_error = get_opt(&mut r)?
            .map(|c| unreadable_from(u64::from(c)))
            .transpose()?;
        let ntasks = r.u()?;
        if ntasks > 1 << 22 {
            return Err(WireError("too many tasks"));
        }
        let mut tasks = Vec::with_capacity(ntasks.min(1 << 16) as usize);
        let mut last_tid = tgid;
        for _ in 0..ntasks {
            let t = decode_task(&mut r, last_tid, tgid, &old_tasks)?;
            last_tid = t.tid;
            tasks.push(t);
        }
        processes.push(ProcessInfo {
            tgid,
            ppid,
            uid,
            user,
            cmdline,
            rss_bytes,
            // Not recorded: VIRT/SHR and per-task I/O are read for --json only so far.
            statm: None,
            tasks,
            task_io: Vec::new(),
            tasks_error,
        });
    }
    let cgroups = if format >= 2 {
        super::cgroups::decode(&mut r, prev.map(|p| &p.cgroups))?
    } else {
        Cgroups::unavailable(cgroup::Why::NotRecorded)
    };
    let events = if format >= 3 {
        super::events::decode(&mut r)?
    } else {
        Default::default()
    };
    if !r.is_empty() {
        return Err(WireError("trailing bytes in tick"));
    }
    Ok(Snapshot {
        schedstat_read: true,
        waits: None,
        events,
        task_source: Default::default(),
        // Recordings keep what was recorded; only a live event source reads this.
        partial: false,
        boot_ns,
        scan_ns,
        clk_tck,
        page_size,
        processes,
        system: SystemInfo {
            cpus,
            cpu_total,
            mem,
            load,
            uptime_secs,
            topology,
        },
        notes,
        shares: None,
        cgroups,
    })
}

fn decode_task(
    r: &mut Reader,
    last_tid: u32,
    tgid: u32,
    old_tasks: &HashMap<(u32, u32), &TaskInfo>,
) -> Result<TaskInfo, WireError> {
    let tid = i64::from(last_tid)
        .checked_add(r.i()?)
        .and_then(|t| u32::try_from(t).ok())
        .ok_or(WireError("bad tid"))?;
    let (base, start_ticks) = match r.byte()? {
        0 => {
            // Same identity as a task of the previous tick: find it by TID.
            let b = *old_tasks
                .get(&(tgid, tid))
                .ok_or(WireError("delta for a task not in the previous tick"))?;
            (b, b.start_ticks)
        }
        _ => (&ZERO_TASK, r.u()?),
    };
    let comm = match r.byte()? {
        0 => base.comm.clone(),
        _ => Comm::new(r.bytes()?),
    };
    let state = r.byte()?;
    let narrow = |v: u64| u32::try_from(v).map_err(|_| WireError("value out of range"));
    let ppid = narrow(r.delta(u64::from(base.ppid))?)?;
    let flags = narrow(r.delta(u64::from(base.flags))?)?;
    let utime_ticks = r.delta(base.utime_ticks)?;
    let stime_ticks = r.delta(base.stime_ticks)?;
    // Clamped as the live scan clamps a hostile file's values (recordings made before
    // the narrow types held i32s and u32s).
    let priority = saturate(i64::from(base.priority).wrapping_add(r.i()?));
    let nice = saturate(i64::from(base.nice).wrapping_add(r.i()?));
    let num_threads = narrow(r.delta(u64::from(base.num_threads))?)?;
    let rss_pages = r.delta(base.rss_pages)?;
    let opt = |v: Option<u16>| v.map_or(0, |v| u64::from(v) + 1);
    let processor = match r.delta(opt(base.processor))? {
        0 => None,
        // A CPU id past u16 is unknown, as in the live scan.
        v => u16::try_from(v - 1).ok(),
    };
    let rt_priority = saturate(r.delta(u64::from(base.rt_priority))?);
    let policy = saturate(r.delta(u64::from(base.policy))?);
    let schedstat = match r.byte()? {
        0 => {
            let b = base.schedstat.unwrap_or_default();
            Ok(SchedStat {
                run_ns: r.delta(b.run_ns)?,
                wait_ns: r.delta(b.wait_ns)?,
                timeslices: r.delta(b.timeslices)?,
            })
        }
        c => Err(unreadable_from(u64::from(c) - 1)?),
    };
    let detail = match r.byte()? {
        0 => None,
        1 => {
            let b = match base.detail() {
                Some(Ok(b)) => b.clone(),
                _ => TaskDetail::default(),
            };
            let voluntary_switches = r.delta(b.voluntary_switches)?;
            let involuntary_switches = r.delta(b.involuntary_switches)?;
            let cpus_allowed = match r.byte()? {
                0 => b.cpus_allowed,
                _ => String::from_utf8_lossy(r.bytes()?).into_owned(),
            };
            Some(Ok(TaskDetail {
                voluntary_switches,
                involuntary_switches,
                cpus_allowed,
            }))
        }
        c => Some(Err(unreadable_from(u64::from(c) - 2)?)),
    };
    let stat_error = get_opt(r)?
        .map(|c| unreadable_from(u64::from(c)))
        .transpose()?;
    let migrations = match r.byte()? {
        0 => None,
        1 => Some(Ok(r.u()?)),
        c => Some(Err(unreadable_from(u64::from(c) - 2)?)),
    };
    let mut task = TaskInfo {
        tid,
        tgid,
        comm,
        state,
        ppid,
        flags,
        utime_ticks,
        stime_ticks,
        priority,
        nice,
        num_threads,
        start_ticks,
        rss_pages,
        processor,
        rt_priority,
        policy,
        schedstat,
        stat_error,
        ..TaskInfo::EMPTY
    };
    task.set_detail(detail);
    task.set_migrations(migrations);
    Ok(task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_machine_costs_almost_nothing_per_task() {
        let snap = crate::collect::Scanner::new("/proc").scan(&DetailPlan::default());
        let tasks = snap.task_count().max(1);
        let key = encode(None, &snap);
        let delta = encode(Some(&snap), &snap);
        // Every counter delta is zero: a small fraction of the keyframe, whatever the size
        // of the machine, and never more than a few bytes per task.
        assert!(
            delta.len() * 4 < key.len() && delta.len() < 4 * tasks + 512,
            "{} bytes of delta, {} of keyframe, for {tasks} tasks",
            delta.len(),
            key.len()
        );
        assert_eq!(decode(Some(&snap), snap.boot_ns, &delta), Ok(snap.clone()));
    }
}
