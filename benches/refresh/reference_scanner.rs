//! The reference the goal is measured against: a minimal /proc scanner that lists /proc
//! and each /proc/P/task and does open + read + close of every task's `stat`, nothing
//! else. Written as a careful C programmer would: /proc and every process's `task`
//! directory are kept open from one scan to the next (the directories are listed through
//! them, rewound, and each `stat` is opened with `openat` relative to its `task` directory,
//! a one-component walk), relative paths are formatted by hand into a stack buffer, one
//! reused read buffer, one read per file: no allocation per task (the lists of ids are
//! reused vectors), so the ratio is against a fair baseline.

use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags, RawDir, SeekFrom, open, openat, seek};

pub struct Reference {
    root: Option<OwnedFd>,
    buf: Vec<u8>,
    dirbuf: Vec<MaybeUninit<u8>>,
    tgids: Vec<u32>,
    tids: Vec<u32>,
    /// (TGID, its `task` directory), sorted by TGID; `spare` is the other half of the
    /// double buffer a scan merges into.
    dirs: Vec<(u32, OwnedFd)>,
    spare: Vec<(u32, OwnedFd)>,
}

const FLAGS: OFlags = OFlags::RDONLY.union(OFlags::CLOEXEC);

impl Reference {
    pub fn new() -> Self {
        Reference {
            root: open("/proc", FLAGS | OFlags::DIRECTORY, Mode::empty()).ok(),
            buf: vec![0; 4096],
            dirbuf: vec![MaybeUninit::uninit(); 32 * 1024],
            tgids: Vec::new(),
            tids: Vec::new(),
            dirs: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// One full scan; returns (tasks read, tasks in state R) so the work cannot be skipped.
    pub fn scan(&mut self) -> (usize, usize) {
        let Some(root) = self.root.take() else {
            return (0, 0);
        };
        let counts = self.scan_from(root.as_fd());
        self.root = Some(root);
        counts
    }

    fn scan_from(&mut self, root: BorrowedFd<'_>) -> (usize, usize) {
        let (mut tasks, mut running) = (0, 0);
        list(root, &mut self.dirbuf, &mut self.tgids);
        let mut old = std::mem::take(&mut self.dirs);
        let mut kept = std::mem::take(&mut self.spare);
        let mut old_it = old.drain(..).peekable();
        let mut path = [0u8; 48];
        for &tgid in &self.tgids {
            while old_it.next_if(|(t, _)| *t < tgid).is_some() {}
            let dir = match old_it.next_if(|(t, _)| *t == tgid) {
                Some((_, d)) => d,
                None => {
                    let n = fmt(&mut path, tgid, b"/task");
                    match openat(root, &path[..n], FLAGS | OFlags::DIRECTORY, Mode::empty()) {
                        Ok(d) => d,
                        Err(_) => continue,
                    }
                }
            };
            if !list(dir.as_fd(), &mut self.dirbuf, &mut self.tids) {
                continue;
            }
            for &tid in &self.tids {
                let n = fmt(&mut path, tid, b"/stat");
                let Ok(fd) = openat(dir.as_fd(), &path[..n], FLAGS, Mode::empty()) else {
                    continue;
                };
                if let Ok(len) = rustix::io::read(&fd, &mut self.buf[..]) {
                    let stat = &self.buf[..len];
                    tasks += 1;
                    if let Some(close) = stat.iter().rposition(|&b| b == b')')
                        && stat.get(close + 2) == Some(&b'R')
                    {
                        running += 1;
                    }
                }
            }
            kept.push((tgid, dir));
        }
        drop(old_it);
        self.dirs = kept;
        self.spare = old;
        (tasks, running)
    }
}

/// `N` followed by `suffix` into `buf`; returns the length.
fn fmt(buf: &mut [u8; 48], mut n: u32, suffix: &[u8]) -> usize {
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
    let d = &digits[i..];
    buf[..d.len()].copy_from_slice(d);
    buf[d.len()..d.len() + suffix.len()].copy_from_slice(suffix);
    d.len() + suffix.len()
}

/// Lists the numeric entries of a kept directory, rewound first. `false`: it is gone.
fn list(dir: BorrowedFd<'_>, dirbuf: &mut [MaybeUninit<u8>], out: &mut Vec<u32>) -> bool {
    out.clear();
    if seek(dir, SeekFrom::Start(0)).is_err() {
        return false;
    }
    let mut rd = RawDir::new(dir, dirbuf);
    while let Some(e) = rd.next() {
        let Ok(e) = e else { return false };
        let name = e.file_name().to_bytes();
        if !name.is_empty() && name.len() <= 10 && name.iter().all(u8::is_ascii_digit) {
            let v = name.iter().fold(0u64, |v, &b| v * 10 + u64::from(b - b'0'));
            if let Ok(v) = u32::try_from(v) {
                out.push(v);
            }
        }
    }
    true
}
