//! The scheduling events' figures in a recorded tick (format 3): where they came from and,
//! with BPF, every recorded task's figures for the tick. Written whole each tick (not as a
//! delta: they are per tick already); format 1 and 2 files have none (`NotCollected`).

use std::sync::Arc;

use super::wire::{Reader, WireError, Writer};
use crate::collect::events::{CpuNs, EventTick, Events, TaskEvents, Waker};
use crate::collect::{Comm, TaskKey};

/// At most this many CPUs per task's time (the source keeps a few apart).
const MAX_CPUS: u64 = 1 << 16;
/// More tasks than pid_max allows is a corrupt file.
const MAX_TASKS: u64 = 1 << 22;

fn put_opt(w: &mut Writer, v: Option<u64>) {
    match v {
        None => w.byte(0),
        Some(v) => {
            w.byte(1);
            w.u(v);
        }
    }
}

fn get_opt(r: &mut Reader) -> Result<Option<u64>, WireError> {
    Ok(match r.byte()? {
        0 => None,
        1 => Some(r.u()?),
        _ => return Err(WireError("bad optional in events")),
    })
}

fn u32_of(v: u64) -> Result<u32, WireError> {
    u32::try_from(v).map_err(|_| WireError("value out of range in events"))
}

pub fn encode(w: &mut Writer, ev: &Events) {
    match ev {
        Events::NotCollected => w.byte(0),
        Events::Unavailable(why) => {
            w.byte(1);
            w.bytes(why.as_bytes());
        }
        Events::Bpf(tick) => {
            w.byte(2);
            put_opt(w, tick.interval_ns);
            w.u(tick.maps_full);
            w.u(tick.insert_failures);
            w.u(tick.refused_in_tick);
            w.u(tick.tasks.len() as u64);
            // In key order (as they are kept): the same tick encodes to the same bytes.
            for (k, e) in tick.tasks.iter() {
                w.u(u64::from(k.tid));
                w.u(k.start_ticks);
                put_task(w, &e);
            }
        }
    }
}

fn put_task(w: &mut Writer, e: &TaskEvents) {
    w.u(u64::from(e.waits));
    put_opt(w, e.p50_ns);
    put_opt(w, e.p99_ns);
    put_opt(w, e.max_ns);
    put_opt(w, e.max_at_unix_ns);
    match &e.cpu_ns {
        None => w.byte(0),
        Some(cpus) => {
            w.byte(1);
            w.u(cpus.len() as u64);
            for &(cpu, ns) in cpus.iter() {
                w.u(u64::from(cpu));
                w.u(ns);
            }
        }
    }
    for v in [
        e.other_cpu_ns,
        u64::from(e.migrations),
        u64::from(e.voluntary),
        u64::from(e.involuntary),
        u64::from(e.wakings),
        u64::from(e.irq_wakings),
    ] {
        w.u(v);
    }
    match &e.woken_by {
        None => w.byte(0),
        Some(k) => {
            w.byte(1);
            w.u(u64::from(k.tid));
            w.bytes(k.comm.as_bytes());
        }
    }
}

pub fn decode(r: &mut Reader) -> Result<Events, WireError> {
    Ok(match r.byte()? {
        0 => Events::NotCollected,
        1 => Events::Unavailable(Arc::from(String::from_utf8_lossy(r.bytes()?).as_ref())),
        2 => {
            let interval_ns = get_opt(r)?;
            let maps_full = r.u()?;
            let insert_failures = r.u()?;
            let refused_in_tick = r.u()?;
            let n = r.u()?;
            if n > MAX_TASKS {
                return Err(WireError("too many tasks in events"));
            }
            // A task's figures in the file take about what they take packed.
            let tasks_at_most = (n as usize).min(r.remaining() / 8);
            let mut tasks = crate::collect::events::tasks::Builder::with_capacity(
                tasks_at_most,
                r.remaining().min(tasks_at_most * 64),
            );
            for _ in 0..n {
                let key = TaskKey {
                    tid: u32_of(r.u()?)?,
                    start_ticks: r.u()?,
                };
                tasks.push(key, &get_task(r)?);
            }
            // Written in key order; a file that is not costs a sort, never O(n²) inserts.
            let tasks = tasks.finish();
            Events::Bpf(Arc::new(EventTick {
                interval_ns,
                tasks,
                maps_full,
                insert_failures,
                refused_in_tick,
                // Where the recording machine loaded its programs is not recorded.
                loader: None,
            }))
        }
        _ => return Err(WireError("unknown events source")),
    })
}

fn get_task(r: &mut Reader) -> Result<TaskEvents, WireError> {
    let waits = u32_of(r.u()?)?;
    let (p50_ns, p99_ns, max_ns, max_at_unix_ns) =
        (get_opt(r)?, get_opt(r)?, get_opt(r)?, get_opt(r)?);
    // CPUs beyond the few a task keeps apart (a recording of another build, or a hostile
    // file) count as time on other CPUs, as the source counts them.
    let mut beyond = 0u64;
    let cpu_ns = match r.byte()? {
        0 => None,
        1 => {
            let n = r.u()?;
            if n > MAX_CPUS {
                return Err(WireError("too many CPUs in events"));
            }
            let mut v = CpuNs::default();
            for _ in 0..n {
                let (cpu, ns) = (u32_of(r.u()?)?, r.u()?);
                if !v.add(cpu, ns) {
                    beyond = beyond.saturating_add(ns);
                }
            }
            Some(v)
        }
        _ => return Err(WireError("bad CPU times in events")),
    };
    let other_cpu_ns = r.u()?.saturating_add(beyond);
    let [migrations, voluntary, involuntary, wakings, irq_wakings] = [
        u32_of(r.u()?)?,
        u32_of(r.u()?)?,
        u32_of(r.u()?)?,
        u32_of(r.u()?)?,
        u32_of(r.u()?)?,
    ];
    let woken_by = match r.byte()? {
        0 => None,
        1 => Some(Waker {
            tid: u32_of(r.u()?)?,
            comm: Comm::new(r.bytes()?),
        }),
        _ => return Err(WireError("bad waker in events")),
    };
    Ok(TaskEvents {
        // The off-CPU split is not recorded: a replayed breakdown has none from the events.
        off_ns: [0; 6],
        waits,
        p50_ns,
        p99_ns,
        max_ns,
        max_at_unix_ns,
        cpu_ns,
        other_cpu_ns,
        migrations,
        voluntary,
        involuntary,
        wakings,
        irq_wakings,
        woken_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_round_trips_and_a_cut_tick_is_an_error() {
        let mut tick = EventTick {
            interval_ns: Some(1_000_000_000),
            maps_full: 3,
            insert_failures: 1,
            refused_in_tick: 0,
            ..EventTick::default()
        };
        tick.tasks.insert(
            TaskKey {
                tid: 7,
                start_ticks: 99,
            },
            TaskEvents {
                off_ns: [0; 6],
                waits: 1240,
                p50_ns: Some(300_000),
                p99_ns: Some(4_100_000),
                max_ns: Some(38_000_000),
                max_at_unix_ns: Some(1_795_953_821_000_000_000),
                cpu_ns: Some(vec![(0, 600), (3, 400)].into()),
                other_cpu_ns: 5,
                migrations: 40,
                voluntary: 2,
                involuntary: 3,
                wakings: 10,
                irq_wakings: 1,
                woken_by: Some(Waker {
                    tid: 4411,
                    comm: Comm::new(b"acceptor"),
                }),
            },
        );
        tick.tasks.insert(
            TaskKey {
                tid: 8,
                start_ticks: 1,
            },
            TaskEvents::default(),
        );
        for ev in [
            Events::NotCollected,
            Events::Unavailable("needs root or CAP_BPF and CAP_PERFMON".into()),
            Events::Bpf(Arc::new(tick)),
        ] {
            let mut w = Writer::default();
            encode(&mut w, &ev);
            let buf = w.buf;
            let mut r = Reader::new(&buf);
            assert_eq!(decode(&mut r), Ok(ev.clone()));
            assert!(r.is_empty());
            if buf.len() > 1 {
                let mut cut = Reader::new(&buf[..buf.len() - 1]);
                assert!(decode(&mut cut).is_err(), "{ev:?}");
            }
        }
    }
}
