//! Per-process and per-task descriptors kept open from one tick to the next.
//!
//! A /proc file descriptor is bound to the task, not to its number: once the task exits,
//! `pread` on it fails (ESRCH), even if the kernel has handed the TID to a new task. So a
//! failed kept read is retried with a fresh open, which finds the new task or nothing.
//! Everything is opened with `openat` relative to a kept directory, with the path formatted
//! into a stack buffer: no path strings on the heap, no walk from `/` each time.

use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags, RawDir, SeekFrom, openat, seek};
use rustix::io::{Errno, pread};

use super::fd_budget::FdBudget;

/// A task's descriptors. `None` = not kept (budget spent, or not opened yet).
#[derive(Debug)]
pub struct TaskFiles {
    pub tid: u32,
    pub stat: Option<OwnedFd>,
    pub schedstat: Option<OwnedFd>,
    /// Kept only while the task is on screen (in the detail plan's TIDs).
    pub status: Option<OwnedFd>,
    /// Kept only while the task's process is the selected one (read-only: a write to
    /// `sched` resets the task's statistics).
    pub sched: Option<OwnedFd>,
}

impl TaskFiles {
    pub fn new(tid: u32) -> Self {
        TaskFiles {
            tid,
            stat: None,
            schedstat: None,
            status: None,
            sched: None,
        }
    }

    /// Closes everything; returns how many kept descriptors that was.
    pub fn close(self) -> usize {
        usize::from(self.stat.is_some())
            + usize::from(self.schedstat.is_some())
            + usize::from(self.status.is_some())
            + usize::from(self.sched.is_some())
    }
}

/// What the scanner remembers about one thread group between ticks.
#[derive(Debug)]
pub struct ProcFiles {
    pub tgid: u32,
    /// `/proc/TGID/task`, listed each tick and the base for per-task opens. `None` when it
    /// could not be opened (denied): then paths are taken from the /proc root.
    pub task_dir: Option<OwnedFd>,
    /// Sorted by TID, like the listing, so a tick merges the two in one pass.
    pub tasks: Vec<TaskFiles>,
    /// Always empty: the other half of `tasks`' double buffer, which the merge writes
    /// into. Per process, so each buffer stays sized to its own process: one buffer
    /// shared by all processes wandered, and every tick left a 10,000-task capacity behind
    /// in some small process (RSS grew 120 KiB a tick at 10,000 threads).
    pub spare: Vec<TaskFiles>,
    /// argv, cached for this (leader start time, leader comm): exec changes the comm.
    pub cmdline: Option<CachedCmdline>,
    /// `/proc/TGID/cmdline`, kept open while the process is on screen (re-read each tick
    /// there: setproctitle changes argv in place).
    pub cmdline_fd: Option<OwnedFd>,
}

/// (leader start ticks, leader comm, argv or why it could not be read).
pub type CachedCmdline = (u64, super::Comm, Result<Vec<u8>, super::Unreadable>);

impl ProcFiles {
    pub fn close(self) -> usize {
        usize::from(self.task_dir.is_some())
            + usize::from(self.cmdline_fd.is_some())
            + self.tasks.into_iter().map(TaskFiles::close).sum::<usize>()
    }
}

/// A relative path such as `1234/stat` or `77/task/1234/stat`, built without allocating.
pub struct ProcPath {
    buf: [u8; 64],
    len: usize,
}

impl ProcPath {
    pub fn new() -> Self {
        ProcPath {
            buf: [0; 64],
            len: 0,
        }
    }

    pub fn clear(&mut self) -> &mut Self {
        self.len = 0;
        self
    }

    pub fn num(&mut self, mut n: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.bytes(&digits[i..])
    }

    pub fn bytes(&mut self, s: &[u8]) -> &mut Self {
        // Paths here are at most "4294967295/task/4294967295/schedstat" (37 bytes).
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
        self
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for ProcPath {
    fn default() -> Self {
        Self::new()
    }
}

pub fn open_rel(dir: BorrowedFd<'_>, path: &[u8], directory: bool) -> Result<OwnedFd, Errno> {
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    if directory {
        flags |= OFlags::DIRECTORY;
    }
    openat(dir, path, flags, Mode::empty())
}

/// Reads the file from offset 0 into `buf`, returning the length. /proc generates the
/// whole file for one read, so a read shorter than the buffer is the whole file.
pub fn pread_whole(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut got = 0;
    while got < buf.len() {
        match pread(fd, &mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => {
                got += n;
                // A short read means end of file for /proc's generated files; a second
                // read would make the kernel generate the whole file again.
                if got < buf.len() {
                    break;
                }
            }
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads one per-task file through its kept descriptor when there is one, else opens it
/// relative to `dir` and keeps the descriptor if the budget allows.
pub fn read_kept(
    slot: &mut Option<OwnedFd>,
    dir: BorrowedFd<'_>,
    path: &[u8],
    buf: &mut [u8],
    budget: &mut FdBudget,
) -> Result<usize, Errno> {
    if let Some(fd) = slot.as_ref() {
        match pread_whole(fd.as_fd(), buf) {
            Ok(n) if !budget.over() => return Ok(n),
            Ok(n) => {
                // Shedding after running out of descriptors: keep the data, drop the fd.
                *slot = None;
                budget.released(1);
                return Ok(n);
            }
            Err(_) => {
                // The task behind this descriptor is gone; its TID may belong to a new
                // task now, so look again by name below.
                *slot = None;
                budget.released(1);
            }
        }
    }
    let fd = match open_rel(dir, path, false) {
        Ok(fd) => fd,
        Err(e) => {
            if e == Errno::MFILE || e == Errno::NFILE {
                budget.ran_out();
            }
            return Err(e);
        }
    };
    let n = pread_whole(fd.as_fd(), buf)?;
    if budget.try_keep() {
        *slot = Some(fd);
    }
    Ok(n)
}

/// Lists the numeric entries of a kept directory (rewound first) into `out`, sorted.
/// `dirbuf` is the reused getdents buffer. Returns the first number in the directory's own
/// order: in /proc's `TGID/task` that is the group leader (the kernel walks the thread
/// list from the leader), which tells whether the directory is the process we meant.
pub fn list_numeric(
    dir: BorrowedFd<'_>,
    dirbuf: &mut [MaybeUninit<u8>],
    out: &mut Vec<u32>,
) -> Result<Option<u32>, Errno> {
    out.clear();
    seek(dir, SeekFrom::Start(0))?;
    let mut rd = RawDir::new(dir, dirbuf);
    while let Some(entry) = rd.next() {
        let entry = entry?;
        if let Some(n) = parse_u32(entry.file_name().to_bytes()) {
            out.push(n);
        }
    }
    let first = out.first().copied();
    sorted_unique(out);
    Ok(first)
}

/// Sorts `ids` and drops repeats. /proc lists tasks in the order they were created, which is
/// not TID order once TIDs wrap, and a listing spread over several getdents calls while
/// threads come and go is not promised to name each once: everything after relies on
/// each TID being here once.
pub fn sorted_unique(ids: &mut Vec<u32>) {
    ids.sort_unstable();
    ids.dedup();
}

/// The TIDs in `listed` that `kept` lacks, ascending. Both are sorted and hold each TID
/// once; `kept` is only searched, never grown, here. (Searching a list while appending
/// the new TIDs to it, out of order once TIDs wrap, missed kept ones, which were then
/// scanned a second time: one TID listed two and three times, issue 19.)
pub fn tids_missing<T>(kept: &[T], tid_of: impl Fn(&T) -> u32, listed: &[u32]) -> Vec<u32> {
    listed
        .iter()
        .copied()
        .filter(|tid| kept.binary_search_by_key(tid, &tid_of).is_err())
        .collect()
}

fn parse_u32(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    u32::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_path_formats_numbers_without_allocating() {
        let mut p = ProcPath::new();
        p.num(0).bytes(b"/").num(4_294_967_295).bytes(b"/schedstat");
        assert_eq!(p.as_bytes(), b"0/4294967295/schedstat");
        p.clear().num(12).bytes(b"/stat");
        assert_eq!(p.as_bytes(), b"12/stat");
    }

    #[test]
    fn only_plain_numbers_are_task_ids() {
        assert_eq!(parse_u32(b"123"), Some(123));
        for bad in [&b""[..], b"self", b"12a", b"4294967296", b"-1"] {
            assert_eq!(parse_u32(bad), None);
        }
    }
}
