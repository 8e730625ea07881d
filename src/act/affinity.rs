//! Setting the CPUs a task may run on (sched_setaffinity), for one thread or a whole
//! process: all or nothing. If the kernel refuses any thread, the ones already changed are
//! put back, so a refusal changes nothing.

use std::path::Path;

use rustix::process::Pid;
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

use super::{not_the_same, pid, still_same_task};
use crate::collect::{TaskKey, format_cpu_list};

fn explain(e: rustix::io::Errno, tid: u32) -> String {
    use rustix::io::Errno;
    let (why, name) = match e {
        Errno::PERM => ("not permitted: another user's task", "EPERM"),
        Errno::INVAL => (
            "the kernel pins this task, or no chosen CPU is usable",
            "EINVAL",
        ),
        Errno::SRCH => ("the task has exited", "ESRCH"),
        _ => return format!("task {tid}: {e}"),
    };
    format!("task {tid}: {why} [{name}]")
}

/// Sets the affinity of every task in `targets` to `cpus`. Returns how many were changed,
/// or why none were.
pub fn set(proc_root: &Path, targets: &[TaskKey], cpus: &[u32]) -> Result<usize, String> {
    if cpus.is_empty() {
        return Err("choose at least one CPU".into());
    }
    let mut set = CpuSet::new();
    for &c in cpus {
        if c as usize >= CpuSet::MAX_CPU {
            return Err(format!("CPU {c} is beyond what this build supports"));
        }
        set.set(c as usize);
    }
    let mut done: Vec<(Pid, CpuSet)> = Vec::new();
    for key in targets {
        let p = pid(key.tid)?;
        let result = if still_same_task(proc_root, *key) {
            sched_getaffinity(Some(p))
                .and_then(|old| sched_setaffinity(Some(p), &set).map(|()| old))
                .map_err(|e| explain(e, key.tid))
        } else {
            Err(not_the_same(proc_root, key.tid))
        };
        match result {
            Ok(old) => done.push((p, old)),
            Err(why) => {
                for (p, old) in done.iter().rev() {
                    let _ = sched_setaffinity(Some(*p), old);
                }
                return Err(format!("{why}; nothing was changed"));
            }
        }
    }
    Ok(done.len())
}

/// The CPUs `targets` may run on now, read fresh (sched_getaffinity) after re-checking
/// each is still the task shown: the union when they differ (with how many differ), or
/// why it could not be read.
pub fn get(proc_root: &Path, targets: &[TaskKey]) -> Result<(Vec<u32>, usize), String> {
    let mut sets: Vec<Vec<u32>> = Vec::new();
    for key in targets {
        let p = pid(key.tid)?;
        if !still_same_task(proc_root, *key) {
            return Err(not_the_same(proc_root, key.tid));
        }
        let set = sched_getaffinity(Some(p)).map_err(|e| explain(e, key.tid))?;
        sets.push(
            (0..CpuSet::MAX_CPU)
                .filter(|&c| set.is_set(c))
                .map(|c| c as u32)
                .collect(),
        );
    }
    let Some(first) = sets.first() else {
        return Err("no task to read".into());
    };
    let differ = sets.iter().filter(|s| *s != first).count();
    let mut all: Vec<u32> = sets.concat();
    all.sort_unstable();
    all.dedup();
    Ok((all, differ))
}

/// The CPU list shown in messages: `0-3,8`.
pub fn describe(cpus: &[u32]) -> String {
    format_cpu_list(cpus)
}
