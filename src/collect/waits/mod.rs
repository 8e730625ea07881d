//! What blocked tasks wait on, sampled between ticks: the state letter, the kernel function
//! (`wchan`) and the current system call with its arguments (`/proc/TID/syscall`) of a
//! few tasks (those on screen, the selected process, `--json`'s), several times a tick.
//!
//! schedstat says exactly how long a task ran and waited for a CPU; it says nothing about
//! why it was off a CPU the rest of the time. These samples split that rest by reason
//! (lock, fd, sleep, I/O, stopped, other) and name the object waited on. They are raw
//! facts: the model turns them into shares and sentences.

pub mod classify;
pub mod fds;
pub mod sampler;

use std::collections::HashMap;

use serde::Serialize;

use super::snapshot::TaskKey;

pub use classify::Reason;
pub use sampler::Sampler;

/// What one blocked task waited on in one sample.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// In `futex`: the address (the system call's first argument). Threads of one process
    /// waiting on one address wait on one lock or condition variable.
    Futex(u64),
    /// In a system call that waits on a descriptor (read, recv, accept, poll's first...).
    Fd {
        syscall: String,
        fd: u64,
        what: FdWhat,
    },
    /// In nanosleep or clock_nanosleep: the length asked for, when it could be read
    /// (`None`: not readable); `absolute`: until a set time (TIMER_ABSTIME).
    Sleep { ns: Option<u64>, absolute: bool },
    /// Uninterruptible (D): the kernel function it waits in.
    Io { wchan: Vec<u8> },
    /// Stopped by a signal or a debugger.
    Stopped,
    /// Anything else: the system call's name or number, and wchan.
    Other {
        syscall: Option<String>,
        wchan: Vec<u8>,
    },
    /// /proc/TID/syscall refused us (another user's task, Yama): the kernel function is
    /// all there is.
    NeedsPtrace { wchan: Vec<u8> },
}

/// What a waited-on descriptor is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FdWhat {
    /// The link's text (`pipe:[123]`, `socket:[456]`, a path: raw bytes), and for a TCP
    /// socket what /proc/net/tcp{,6} says of it.
    Link {
        link: Vec<u8>,
        tcp: Option<fds::Tcp>,
    },
    /// Closed between reading the system call and the link.
    Closed,
    /// The fd directory refused us.
    Denied,
}

/// One task's samples over one interval.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskSamples {
    pub tgid: u32,
    /// Rounds in which the task was read.
    pub samples: u32,
    /// Rounds in which it was runnable (R): its split comes from schedstat, exactly.
    pub runnable: u32,
    /// Rounds off a CPU, by reason (index: `Reason as usize`).
    pub off: [u32; Reason::COUNT],
    /// What it waited on, with how many rounds (a handful of entries at most).
    pub targets: Vec<(Target, u32)>,
    /// /proc/TID/syscall was refused at least once.
    pub ptrace_denied: bool,
}

impl TaskSamples {
    pub fn off_total(&self) -> u32 {
        self.off.iter().sum()
    }

    /// The target seen most often (the latest on a tie).
    pub fn main_target(&self) -> Option<&Target> {
        let mut best: Option<&(Target, u32)> = None;
        for t in &self.targets {
            if best.is_none_or(|b| t.1 >= b.1) {
                best = Some(t);
            }
        }
        best.map(|b| &b.0)
    }

    /// Counts one more round on `target` (kept to the few most frequent).
    pub fn add_target(&mut self, target: Target) {
        if let Some(t) = self.targets.iter_mut().find(|t| t.0 == target) {
            t.1 += 1;
            // Latest last, so a tie goes to the latest.
            if let Some(at) = self.targets.iter().position(|t| t.0 == target) {
                let item = self.targets.remove(at);
                self.targets.push(item);
            }
            return;
        }
        if self.targets.len() >= MAX_TARGETS
            && let Some(least) = (0..self.targets.len()).min_by_key(|&i| self.targets[i].1)
        {
            self.targets.remove(least);
        }
        self.targets.push((target, 1));
    }
}

/// Distinct targets kept per task per interval: a thread waits on one or two things.
const MAX_TARGETS: usize = 4;

/// The samples of one interval, for the tasks that were sampled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WaitSamples {
    pub tasks: HashMap<TaskKey, TaskSamples>,
    /// Sampling rounds in the interval.
    pub rounds: u32,
    /// The time between rounds that was used, ns.
    pub period_ns: u64,
}

/// `breakdown_source` of a breakdown built from these samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Events,
    Sampled,
}
