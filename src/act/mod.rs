//! Actions that change the system. Each acts on exactly the task shown: the target's start
//! time is re-checked right before acting, so a TID the kernel has since given to another
//! task is never touched. Affinity and signals are confirmed by the user first; a nice step
//! is small and is not.

pub mod affinity;
pub mod nice;
pub mod save_columns;
pub mod signal;
pub mod tool;

use std::path::Path;

use rustix::process::Pid;

use crate::collect::TaskKey;
use crate::collect::parse::parse_stat;

/// Why an action is refused while replaying a recording.
pub const REPLAY_REFUSAL: &str =
    "replaying a recording: actions that change the system are disabled";

/// Whether `key` still names the same live task.
pub fn still_same_task(proc_root: &Path, key: TaskKey) -> bool {
    std::fs::read(proc_root.join(key.tid.to_string()).join("stat"))
        .ok()
        .and_then(|b| parse_stat(&b).map(|s| s.starttime))
        == Some(key.start_ticks)
}

/// The message for a task that could not be confirmed as the one shown: it exited or its
/// TID was reused, or (hidepid, another user's task under an LSM) its `stat` cannot be
/// read, so nothing can be checked.
pub fn not_the_same(proc_root: &Path, tid: u32) -> String {
    match std::fs::read(proc_root.join(tid.to_string()).join("stat")) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => format!(
            "task {tid} is not readable (permission denied: hidepid, or another user's \
             task), so it cannot be checked to be the one shown"
        ),
        _ => format!("task {tid} is no longer the one shown (it exited or its TID was reused)"),
    }
}

pub(crate) fn pid(tid: u32) -> Result<Pid, String> {
    i32::try_from(tid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| format!("{tid} is not a valid task id"))
}
