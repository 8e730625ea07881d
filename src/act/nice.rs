//! Changing the nice value of tasks one step at a time (setpriority(PRIO_PROCESS, TID),
//! which on Linux acts on that one thread). Each task is re-checked by (TID, start time)
//! right before; each moves from its own current value. If the kernel refuses one task of
//! several, the ones already changed are put back where the kernel allows it (raising nice
//! back is always allowed; lowering it may need privilege), and the message says so.

use std::path::Path;

use rustix::io::Errno;
use rustix::process::{Pid, getpriority_process, setpriority_process};

use super::{not_the_same, pid, still_same_task};
use crate::collect::TaskKey;

/// The range Linux allows.
pub const MIN: i32 = -20;
pub const MAX: i32 = 19;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    /// Tasks whose nice changed.
    pub changed: usize,
    /// Tasks already at the end of the range in that direction.
    pub at_limit: usize,
    /// Threads that had exited (or whose TID was reused) before their turn: skipped.
    pub gone: usize,
    /// The lowest and highest nice value of the tasks changed or at the limit, after.
    pub now: (i32, i32),
    /// The same, before (for a single task: what it was).
    pub was: (i32, i32),
}

fn explain(e: Errno, tid: u32, delta: i32) -> String {
    let (why, name) = match e {
        Errno::PERM => ("not permitted: another user's task", "EPERM"),
        Errno::ACCESS if delta < 0 => (
            "lowering nice needs privilege (CAP_SYS_NICE, or a higher RLIMIT_NICE)",
            "EACCES",
        ),
        Errno::ACCESS => ("not permitted", "EACCES"),
        Errno::SRCH => ("the task has exited", "ESRCH"),
        _ => return format!("task {tid}: {e}"),
    };
    format!("task {tid}: {why} [{name}]")
}

fn widen(range: Option<(i32, i32)>, v: i32) -> Option<(i32, i32)> {
    Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
}

/// Moves the nice value of every task in `tasks` by `delta` (clamped to -20..19). One task
/// that is not the one shown any more is refused; among several, those are skipped.
pub fn step(proc_root: &Path, tasks: &[TaskKey], delta: i32) -> Result<Changed, String> {
    let mut done: Vec<(Pid, u32, i32)> = Vec::new();
    let mut at_limit = 0;
    let mut gone = 0;
    let mut first_gone = None;
    let mut now = None;
    let mut was = None;
    for key in tasks {
        let p = pid(key.tid)?;
        let result = if still_same_task(proc_root, *key) {
            getpriority_process(Some(p)).and_then(|old| {
                let new = old.saturating_add(delta).clamp(MIN, MAX);
                if new == old {
                    Ok((old, None))
                } else {
                    setpriority_process(Some(p), new).map(|()| (old, Some(new)))
                }
            })
        } else {
            Err(Errno::SRCH)
        };
        match result {
            Ok((old, Some(new))) => {
                done.push((p, key.tid, old));
                now = widen(now, new);
                was = widen(was, old);
            }
            Ok((old, None)) => {
                at_limit += 1;
                now = widen(now, old);
                was = widen(was, old);
            }
            Err(Errno::SRCH) => {
                gone += 1;
                first_gone.get_or_insert(key.tid);
            }
            Err(e) => {
                let why = explain(e, key.tid, delta);
                let stuck: Vec<u32> = done
                    .iter()
                    .rev()
                    .filter(|(p, _, old)| setpriority_process(Some(*p), *old).is_err())
                    .map(|(_, tid, _)| *tid)
                    .collect();
                return Err(if stuck.is_empty() {
                    format!("{why}; nothing was changed")
                } else {
                    format!(
                        "{why}; {} thread(s) changed before it could not be put back",
                        stuck.len()
                    )
                });
            }
        }
    }
    match (now, was) {
        (Some(now), Some(was)) => Ok(Changed {
            changed: done.len(),
            at_limit,
            gone,
            now,
            was,
        }),
        _ => Err(match first_gone {
            Some(tid) => format!("{}; nothing was changed", not_the_same(proc_root, tid)),
            None => "no task to change".into(),
        }),
    }
}

/// `5`, or `0 to 5` when the tasks differ.
pub fn describe(range: (i32, i32)) -> String {
    if range.0 == range.1 {
        range.0.to_string()
    } else {
        format!("{} to {}", range.0, range.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_that_is_not_the_one_shown_is_never_changed() {
        let key = TaskKey {
            tid: std::process::id(),
            start_ticks: u64::MAX,
        };
        let err = step(Path::new("/proc"), &[key], 1).expect_err("refused");
        assert!(err.contains("no longer the one shown"), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
    }

    #[test]
    fn ranges_are_described_plainly() {
        assert_eq!(describe((3, 3)), "3");
        assert_eq!(describe((-1, 4)), "-1 to 4");
    }
}
