//! Actions that change the system, always confirmed by the user first. Each acts on
//! exactly the task shown: the target's start time is re-checked right before acting, so
//! a TID the kernel has since given to another task is never touched.

pub mod affinity;

use std::path::Path;

use crate::collect::TaskKey;
use crate::collect::parse::parse_stat;

/// Whether `key` still names the same live task.
pub fn still_same_task(proc_root: &Path, key: TaskKey) -> bool {
    std::fs::read(proc_root.join(key.tid.to_string()).join("stat"))
        .ok()
        .and_then(|b| parse_stat(&b).map(|s| s.starttime))
        == Some(key.start_ticks)
}
