//! The reference the goal is measured against: a minimal /proc scanner that lists /proc
//! and each /proc/P/task and does open + read + close of every task's `stat`, nothing
//! else. Written as a careful C programmer would (one reused buffer, paths formatted
//! without allocating, one read per file) so the ratio is against a fair baseline.

use std::io::Write;
use std::mem::MaybeUninit;

use rustix::fs::{Mode, OFlags, RawDir, open};

pub struct Reference {
    buf: Vec<u8>,
    dirbuf: Vec<MaybeUninit<u8>>,
    tgids: Vec<u32>,
    tids: Vec<u32>,
}

impl Reference {
    pub fn new() -> Self {
        Reference {
            buf: vec![0; 4096],
            dirbuf: vec![MaybeUninit::uninit(); 32 * 1024],
            tgids: Vec::new(),
            tids: Vec::new(),
        }
    }

    /// One full scan; returns (tasks read, tasks in state R) so the work cannot be skipped.
    pub fn scan(&mut self) -> (usize, usize) {
        let mut tasks = 0;
        let mut running = 0;
        list(b"/proc", &mut self.dirbuf, &mut self.tgids);
        let mut path = [0u8; 64];
        for &tgid in &self.tgids {
            let n = fmt(&mut path, format_args!("/proc/{tgid}/task"));
            list(&path[..n], &mut self.dirbuf, &mut self.tids);
            for &tid in &self.tids {
                let n = fmt(&mut path, format_args!("/proc/{tgid}/task/{tid}/stat"));
                let Ok(fd) = open(&path[..n], OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                else {
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
        }
        (tasks, running)
    }
}

fn fmt(buf: &mut [u8; 64], args: std::fmt::Arguments<'_>) -> usize {
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let _ = cur.write_fmt(args);
    cur.position() as usize
}

fn list(path: &[u8], dirbuf: &mut [MaybeUninit<u8>], out: &mut Vec<u32>) {
    out.clear();
    let Ok(fd) = open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return;
    };
    let mut rd = RawDir::new(&fd, dirbuf);
    while let Some(Ok(e)) = rd.next() {
        if let Ok(s) = std::str::from_utf8(e.file_name().to_bytes())
            && let Ok(n) = s.parse()
        {
            out.push(n);
        }
    }
}
