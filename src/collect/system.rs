//! System-wide figures: per-CPU time counters, memory, load and uptime.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use procfs::FromRead;

use super::kept_files::{open_rel, pread_whole};
use super::parse::parse_uint;
use super::snapshot::{CpuSample, CpuTimes, MemInfo, SystemInfo};

/// The system-wide files, kept open and re-read with one `pread` each per tick (open,
/// statx, two reads and close each before).
#[derive(Default)]
pub struct SystemFiles {
    stat: Option<OwnedFd>,
    meminfo: Option<OwnedFd>,
    loadavg: Option<OwnedFd>,
    uptime: Option<OwnedFd>,
    buf: Vec<u8>,
}

/// /proc/stat of a machine with thousands of CPUs is long; past this it is cut (its CPU
/// lines come first).
const SYSTEM_READ_MAX: usize = 4 << 20;

impl SystemFiles {
    /// The system-wide figures, through descriptors opened relative to `root`, or by path
    /// under `root_path` when there is no descriptor of the /proc directory.
    pub fn read(&mut self, root: Option<BorrowedFd<'_>>, root_path: &Path) -> SystemInfo {
        let (cpu_total, cpus) = self
            .read_file(root, root_path, b"stat")
            .map(parse_proc_stat)
            .unwrap_or_default();
        let mem = self
            .read_file(root, root_path, b"meminfo")
            .and_then(|b| procfs::Meminfo::from_read(b).ok())
            .map(mem_info);
        let load = self
            .read_file(root, root_path, b"loadavg")
            .and_then(|b| parse_load(std::str::from_utf8(b).ok()?));
        let uptime_secs = self
            .read_file(root, root_path, b"uptime")
            .and_then(|b| parse_uptime(std::str::from_utf8(b).ok()?));
        SystemInfo {
            cpus,
            cpu_total,
            mem,
            load,
            uptime_secs,
            topology: Vec::new(),
        }
    }

    /// From `loadavg`: (tasks on the machine, the last PID handed out in our namespace).
    pub fn pids(&mut self, root: BorrowedFd<'_>) -> Option<(u64, u32)> {
        let text =
            std::str::from_utf8(self.read_file(Some(root), Path::new(""), b"loadavg")?).ok()?;
        loadavg_pids(text)
    }

    /// The whole file (the buffer grows until a read is short), or `None`.
    fn read_file(
        &mut self,
        root: Option<BorrowedFd<'_>>,
        root_path: &Path,
        name: &[u8],
    ) -> Option<&[u8]> {
        let Some(root) = root else {
            // /proc could not be opened as a directory: by path, each time.
            let path = root_path.join(std::str::from_utf8(name).ok()?);
            self.buf = std::fs::read(path).ok()?;
            return Some(&self.buf);
        };
        let slot = match name {
            b"stat" => &mut self.stat,
            b"meminfo" => &mut self.meminfo,
            b"loadavg" => &mut self.loadavg,
            _ => &mut self.uptime,
        };
        if slot.is_none() {
            *slot = Some(open_rel(root, name, false).ok()?);
        }
        let fd = slot.as_ref()?;
        if self.buf.is_empty() {
            self.buf.resize(8 * 1024, 0);
        }
        loop {
            let n = match pread_whole(fd.as_fd(), &mut self.buf) {
                Ok(n) => n,
                Err(_) => {
                    *slot = None;
                    return None;
                }
            };
            if n < self.buf.len() || self.buf.len() >= SYSTEM_READ_MAX {
                return Some(&self.buf[..n]);
            }
            let more = self.buf.len() * 2;
            self.buf.resize(more, 0);
        }
    }
}

fn mem_info(m: procfs::Meminfo) -> MemInfo {
    MemInfo {
        total_bytes: m.mem_total,
        available_bytes: m.mem_available.unwrap_or(m.mem_free),
        swap_total_bytes: m.swap_total,
        swap_free_bytes: m.swap_free,
    }
}

/// Parsed here rather than with procfs, whose f32 fields turn 0.10 into 0.10000000149.
fn parse_load(s: &str) -> Option<[f64; 3]> {
    let mut it = s.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

fn parse_uptime(s: &str) -> Option<f64> {
    s.split_whitespace().next()?.parse().ok()
}

/// The `cpu` and `cpuN` lines of /proc/stat. CPUs are keyed by N: offline CPUs are absent,
/// so a CPU's position in the list is not its id.
pub fn parse_proc_stat(buf: &[u8]) -> (CpuTimes, Vec<CpuSample>) {
    let mut total = CpuTimes::default();
    let mut cpus = Vec::new();
    for line in buf.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(b"cpu") else {
            continue;
        };
        let aggregate = rest.first() == Some(&b' ');
        let mut fields = rest.split(|&b| b == b' ').filter(|f| !f.is_empty());
        // The aggregate line is "cpu  …": it has no number of its own.
        let label = if aggregate { None } else { fields.next() };
        let mut v = [0u64; 8];
        for slot in v.iter_mut() {
            *slot = fields.next().and_then(parse_uint).unwrap_or(0);
        }
        let times = CpuTimes {
            user: v[0],
            nice: v[1],
            system: v[2],
            idle: v[3],
            iowait: v[4],
            irq: v[5],
            softirq: v[6],
            steal: v[7],
        };
        if aggregate {
            total = times;
        } else if let Some(id) = label.and_then(parse_uint) {
            cpus.push(CpuSample {
                id: id as u32,
                times,
            });
        }
    }
    (total, cpus)
}

/// `loadavg`'s (tasks on the machine, the last PID handed out in our namespace).
pub fn loadavg_pids(text: &str) -> Option<(u64, u32)> {
    let mut f = text.split_ascii_whitespace().skip(3);
    let tasks = f.next()?.split_once('/')?.1.parse().ok()?;
    let last = f.next()?.parse().ok()?;
    Some((tasks, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_keyed_by_id_not_position() {
        let s = b"cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 5 0 2 50 0 0 0 0 0 0\ncpu3 5 0 3 50 1 0 0 0 0 0\nintr 1\n";
        let (total, cpus) = parse_proc_stat(s);
        assert_eq!(total.user, 10);
        assert_eq!(cpus.iter().map(|c| c.id).collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(cpus[1].times.iowait, 1);
    }

    #[test]
    fn the_same_figures_through_kept_descriptors_and_by_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files: [(&str, &str); 3] = [
            (
                "stat",
                "cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 10 0 5 100 0 0 0 0 0 0\n",
            ),
            ("loadavg", "0.10 0.20 0.30 2/345 6789\n"),
            ("uptime", "123.45 200.00\n"),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        // procfs wants every field of a real one.
        std::fs::copy("/proc/meminfo", dir.path().join("meminfo")).expect("copy meminfo");
        let fd = rustix::fs::open(
            dir.path(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )
        .expect("open dir");
        let kept = SystemFiles::default().read(Some(fd.as_fd()), Path::new("/nonexistent"));
        let by_path = SystemFiles::default().read(None, dir.path());
        for s in [&kept, &by_path] {
            assert_eq!(s.load, Some([0.10, 0.20, 0.30]));
            assert_eq!(s.uptime_secs, Some(123.45));
            assert_eq!(s.cpus.len(), 1);
            assert!(s.mem.as_ref().is_some_and(|m| m.total_bytes > 0));
        }
        assert_eq!(SystemFiles::default().pids(fd.as_fd()), Some((345, 6789)));
    }
}
