//! Whole-system counts for the header: tasks by state, kernel vs user threads.

use crate::collect::Snapshot;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub processes: usize,
    pub tasks: usize,
    pub kernel_threads: usize,
    pub user_threads: usize,
    /// R: runnable (running or waiting for a CPU; /proc cannot tell the two apart).
    pub runnable: usize,
    pub sleeping: usize,
    pub disk_sleep: usize,
    pub idle: usize,
    pub stopped: usize,
    pub zombie: usize,
    pub other: usize,
    pub unreadable: usize,
}

pub fn summarize(s: &Snapshot) -> Summary {
    let mut out = Summary {
        processes: s.processes.len(),
        ..Summary::default()
    };
    for t in s.tasks() {
        out.tasks += 1;
        if t.stat_error.is_some() {
            out.unreadable += 1;
            continue;
        }
        if t.is_kernel_thread() {
            out.kernel_threads += 1;
        } else {
            out.user_threads += 1;
        }
        match t.state {
            b'R' => out.runnable += 1,
            b'S' => out.sleeping += 1,
            b'D' => out.disk_sleep += 1,
            b'I' => out.idle += 1,
            b'T' | b't' => out.stopped += 1,
            b'Z' | b'X' => out.zombie += 1,
            _ => out.other += 1,
        }
    }
    out
}
