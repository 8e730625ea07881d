//! System-wide figures: per-CPU time counters, memory, load and uptime.

use std::path::Path;

use procfs::FromRead;

use super::parse::parse_uint;
use super::snapshot::{CpuSample, CpuTimes, MemInfo, SystemInfo};

pub fn read_system(root: &Path) -> SystemInfo {
    let (cpu_total, cpus) = std::fs::read(root.join("stat"))
        .map(|b| parse_proc_stat(&b))
        .unwrap_or_default();
    let mem = procfs::Meminfo::from_file(root.join("meminfo"))
        .ok()
        .map(|m| MemInfo {
            total_bytes: m.mem_total,
            available_bytes: m.mem_available.unwrap_or(m.mem_free),
            swap_total_bytes: m.swap_total,
            swap_free_bytes: m.swap_free,
        });
    // Parsed here rather than with procfs, whose f32 fields turn 0.10 into 0.10000000149.
    let load = std::fs::read_to_string(root.join("loadavg"))
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|f| f.parse::<f64>().ok());
            Some([it.next()??, it.next()??, it.next()??])
        });
    let uptime_secs = std::fs::read_to_string(root.join("uptime"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok());
    SystemInfo {
        cpus,
        cpu_total,
        mem,
        load,
        uptime_secs,
        topology: Vec::new(),
    }
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
}
