//! Sending a signal: to a whole process (kill on its TGID), or to chosen threads of one
//! process only (tgkill, which also names the thread group, so a TID reused by another
//! process is never hit). Every target is re-checked by (TID, start time) right before
//! its system call. A signal cannot be taken back: when the kernel refuses one thread of
//! several, the message says how many were already signalled.

use std::path::Path;

use rustix::io::Errno;
use rustix::process::{Signal, kill_process};

use super::{not_the_same, pid, still_same_task};
use crate::collect::TaskKey;

pub use crate::model::signals::{SIGNALS, SignalInfo};

/// Whom a signal goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The whole thread group, identified by its leader (TID = TGID).
    Process(TaskKey),
    /// These threads of thread group `tgid`, and no other.
    Threads { tgid: u32, tasks: Vec<TaskKey> },
    /// Each of these (the tagged rows), each re-checked as above.
    Many(Vec<Target>),
}

/// What a sending did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Tasks signalled (1 for a whole process).
    pub signalled: usize,
    /// Threads that had exited (or whose TID was reused) before their turn: skipped.
    pub gone: usize,
}

fn explain(e: Errno, tid: u32) -> String {
    let (why, name) = match e {
        Errno::PERM => ("not permitted: another user's task", "EPERM"),
        Errno::SRCH => ("the task has exited", "ESRCH"),
        Errno::INVAL => ("invalid signal", "EINVAL"),
        _ => return format!("task {tid}: {e}"),
    };
    format!("task {tid}: {why} [{name}]")
}

/// tgkill(2): `sig` to thread `tid` of thread group `tgid` only.
fn tgkill(tgid: u32, tid: u32, sig: Signal) -> Result<(), Errno> {
    let (Ok(tgid), Ok(tid)) = (libc::pid_t::try_from(tgid), libc::pid_t::try_from(tid)) else {
        return Err(Errno::INVAL);
    };
    // SAFETY: tgkill takes three integers and touches no memory of ours.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, tgid, tid, sig.as_raw() as libc::c_int) };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        ))
    }
}

/// Sends `sig` to `target`. A process, or a single thread, that is no longer the one shown
/// is refused; among several threads the ones gone meanwhile are skipped.
pub fn send(proc_root: &Path, target: &Target, sig: &SignalInfo) -> Result<Sent, String> {
    match target {
        Target::Many(targets) => {
            let mut sent = Sent {
                signalled: 0,
                gone: 0,
            };
            let mut failed = Vec::new();
            for t in targets {
                match send(proc_root, t, sig) {
                    Ok(s) => {
                        sent.signalled += s.signalled;
                        sent.gone += s.gone;
                    }
                    Err(why) => failed.push(why),
                }
            }
            match failed.first() {
                None => Ok(sent),
                Some(why) => Err(format!(
                    "{} of {} tagged failed, first: {why}; {} task(s) signalled",
                    failed.len(),
                    targets.len(),
                    sent.signalled
                )),
            }
        }
        Target::Process(key) => {
            let p = pid(key.tid)?;
            if !still_same_task(proc_root, *key) {
                return Err(format!(
                    "{}; nothing was sent",
                    not_the_same(proc_root, key.tid)
                ));
            }
            kill_process(p, sig.signal)
                .map(|()| Sent {
                    signalled: 1,
                    gone: 0,
                })
                .map_err(|e| format!("{}; nothing was sent", explain(e, key.tid)))
        }
        Target::Threads { tgid, tasks } => {
            let mut sent = Sent {
                signalled: 0,
                gone: 0,
            };
            let mut first_gone = None;
            for key in tasks {
                let result = if still_same_task(proc_root, *key) {
                    tgkill(*tgid, key.tid, sig.signal)
                } else {
                    Err(Errno::SRCH)
                };
                match result {
                    Ok(()) => sent.signalled += 1,
                    Err(Errno::SRCH) => {
                        sent.gone += 1;
                        first_gone.get_or_insert(key.tid);
                    }
                    Err(e) => {
                        let why = explain(e, key.tid);
                        return Err(match sent.signalled {
                            0 => format!("{why}; nothing was sent"),
                            n => format!("{why}; {n} thread(s) before it were signalled"),
                        });
                    }
                }
            }
            match (sent.signalled, first_gone) {
                (0, Some(tid)) => Err(format!(
                    "{}; nothing was sent",
                    not_the_same(proc_root, tid)
                )),
                (0, None) => Err("no thread to signal".into()),
                _ => Ok(sent),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_offers_the_usual_signals_with_term_first() {
        assert_eq!(SIGNALS[0].full_name(), "SIGTERM");
        for name in [
            "TERM", "INT", "HUP", "KILL", "STOP", "CONT", "QUIT", "USR1", "USR2",
        ] {
            assert!(SIGNALS.iter().any(|s| s.name == name), "{name}");
        }
        assert_eq!(SIGNALS[0].number(), libc::SIGTERM);
        assert_eq!(
            SIGNALS
                .iter()
                .find(|s| s.name == "KILL")
                .map(|s| s.number()),
            Some(libc::SIGKILL)
        );
    }

    #[test]
    fn a_task_that_is_not_the_one_shown_is_never_signalled() {
        // Our own TID with a start time it never had: refused before any system call.
        let me = std::process::id();
        let key = TaskKey {
            tid: me,
            start_ticks: u64::MAX,
        };
        let err =
            send(Path::new("/proc"), &Target::Process(key), &SIGNALS[0]).expect_err("refused");
        assert!(err.contains("no longer the one shown"), "{err}");
        let err = send(
            Path::new("/proc"),
            &Target::Threads {
                tgid: me,
                tasks: vec![key],
            },
            &SIGNALS[0],
        )
        .expect_err("refused");
        assert!(err.contains("nothing was sent"), "{err}");
    }
}
