//! How many descriptors the scanner may keep open across ticks.
//!
//! Keeping each task's `stat` and `schedstat` open and re-reading them with `pread` halves
//! the cost of a tick, but needs two descriptors per task: at 10,000 threads that is more
//! than a common RLIMIT_NOFILE. The budget keeps what fits and leaves the rest to plain
//! open/read/close, so running short of descriptors costs speed, never rows.

use std::os::fd::BorrowedFd;

use rustix::process::{Resource, getrlimit, setrlimit};

/// Descriptors left for everything else in the process (terminal, pipes, one-off reads,
/// which open one file at a time): at least this many, or a 64th of the limit.
const RESERVE_MIN: usize = 256;
const RESERVE_SHARE: usize = 64;

#[derive(Debug, Clone)]
pub struct FdBudget {
    cap: usize,
    kept: usize,
}

impl FdBudget {
    /// Raises the soft RLIMIT_NOFILE to the hard limit (allowed without privilege) and
    /// budgets what is left after a reserve.
    pub fn from_rlimit() -> Self {
        let limit = raise_nofile_soft_limit();
        Self::with_limit(limit)
    }

    /// A budget for a process allowed `limit` descriptors in all.
    pub fn with_limit(limit: usize) -> Self {
        // A 16th (1,250 of 20,000) left 1,400 task files at 10,000 threads to be opened
        // and closed every tick; nothing else here holds more than a few descriptors.
        let reserve = RESERVE_MIN.max(limit / RESERVE_SHARE);
        FdBudget {
            cap: limit.saturating_sub(reserve),
            kept: 0,
        }
    }

    /// Whether one more descriptor may be kept; counts it when so.
    pub fn try_keep(&mut self) -> bool {
        if self.kept < self.cap {
            self.kept += 1;
            true
        } else {
            false
        }
    }

    /// Counts up to `n` more descriptors as kept, as many as there is room for; returns
    /// how many (for descriptors another thread opens and this one keeps).
    pub fn reserve(&mut self, n: usize) -> usize {
        let n = n.min(self.available());
        self.kept += n;
        n
    }

    /// How many more descriptors may be kept.
    pub fn available(&self) -> usize {
        self.cap.saturating_sub(self.kept)
    }

    /// A kept descriptor was closed.
    pub fn released(&mut self, n: usize) {
        self.kept = self.kept.saturating_sub(n);
    }

    /// The process ran out of descriptors (EMFILE/ENFILE) although the budget said there
    /// was room: something else uses more than the reserve. Shrink below what we hold, so
    /// `over` makes the scan shed kept files until one-off opens work again.
    pub fn ran_out(&mut self) {
        self.cap = self.kept.saturating_sub(RESERVE_MIN);
    }

    /// More is kept than the budget allows now: close after reading instead of keeping.
    pub fn over(&self) -> bool {
        self.kept > self.cap
    }

    pub fn kept(&self) -> usize {
        self.kept
    }

    /// Grows the process's descriptor table at once to hold what a scan of `tasks` tasks
    /// will keep (two per task, one per process, within the budget).
    ///
    /// The kernel doubles the table as descriptors are opened, and in a process with more
    /// than one thread every doubling waits for an RCU grace period (`expand_fdtable` calls
    /// `synchronize_rcu`): filling a table to 20,000 descriptors one open at a time took
    /// 100 ms of waiting here, most of the first scan's wall time at 10,000 threads. One
    /// growth to the final size waits once. `from` is any open descriptor to duplicate.
    pub fn presize_table(&self, from: BorrowedFd<'_>, tasks: usize) {
        let wanted = tasks
            .saturating_mul(2)
            .saturating_add(tasks / 8)
            .saturating_add(RESERVE_MIN)
            // dup fails at or past RLIMIT_NOFILE, which is at least cap + RESERVE_MIN.
            .min(self.cap.saturating_add(RESERVE_MIN - 1));
        let Ok(min) = i32::try_from(wanted) else {
            return;
        };
        // The duplicate lands at the lowest free number >= `min`, which makes the kernel grow
        // the table past it; closing it leaves the table grown (tables never shrink). Any
        // failure (EMFILE, EINVAL past the limit) only means the table grows as before.
        if min > 64 {
            drop(rustix::io::fcntl_dupfd_cloexec(from, min));
        }
    }
}

/// Sets the soft RLIMIT_NOFILE to the hard one and returns the soft limit in force.
fn raise_nofile_soft_limit() -> usize {
    let lim = getrlimit(Resource::Nofile);
    let hard = lim.maximum;
    if lim.current != hard {
        let _ = setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: hard,
                maximum: hard,
            },
        );
    }
    // `None` means unlimited; the kernel still caps at fs.nr_open, so pick a sane ceiling.
    let soft = getrlimit(Resource::Nofile).current.unwrap_or(1 << 20);
    usize::try_from(soft).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_then_refuses() {
        let mut b = FdBudget::with_limit(300);
        // 300 - 256 reserve = 44 keepable.
        let kept = (0..100).filter(|_| b.try_keep()).count();
        assert_eq!(kept, 44);
        b.released(4);
        assert!(b.try_keep());
        assert!(!b.over());
        b.ran_out();
        assert!(b.over(), "after EMFILE the scan sheds kept files");
        assert!(!b.try_keep());
    }
}
