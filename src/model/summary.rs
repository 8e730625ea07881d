//! Whole-system counts for the header: tasks by state, kernel vs user threads.

use crate::collect::{Snapshot, Unreadable};

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
    /// Of `unreadable`, how many for each reason, in [`REASONS`]' order: the header says
    /// why (it said "permission denied" when threadtop had run out of descriptors).
    pub unreadable_by: [usize; REASONS.len()],
}

/// Every reason a task's `stat` can be unreadable, in the order the header names them.
pub const REASONS: [Unreadable; 4] = [
    Unreadable::Denied,
    Unreadable::NoDescriptors,
    Unreadable::Malformed,
    Unreadable::Absent,
];

impl Summary {
    /// The reasons tasks were unreadable for, with how many each, most common first (in
    /// [`REASONS`]' order on a tie); none when every task was read.
    pub fn unreadable_reasons(&self) -> Vec<(Unreadable, usize)> {
        let mut v: Vec<(Unreadable, usize)> = REASONS
            .iter()
            .zip(self.unreadable_by)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (*r, n))
            .collect();
        v.sort_by_key(|r| std::cmp::Reverse(r.1));
        v
    }
}

pub fn summarize(s: &Snapshot) -> Summary {
    let mut out = Summary {
        processes: s.processes.len(),
        ..Summary::default()
    };
    for t in s.tasks() {
        out.tasks += 1;
        if let Some(e) = t.stat_error {
            out.unreadable += 1;
            if let Some(i) = REASONS.iter().position(|r| *r == e) {
                out.unreadable_by[i] += 1;
            }
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
