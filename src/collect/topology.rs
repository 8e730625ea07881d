//! CPU topology from /sys: which CPUs are online, and their core, package and NUMA node.
//!
//! Read when the set of online CPUs changes (hotplug), not every tick. Every field is
//! optional: containers and odd kernels hide parts of /sys, and a CPU going offline
//! between two reads simply drops out.

use std::path::Path;

use super::parse::parse_uint;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTopology {
    pub id: u32,
    pub core: Option<u32>,
    pub package: Option<u32>,
    pub node: Option<u32>,
}

/// Parses a kernel CPU list such as `0-3,8,10-11`. Returns `None` on anything malformed.
pub fn parse_cpu_list(s: &str) -> Option<Vec<u32>> {
    let s = s.trim();
    let mut out = Vec::new();
    if s.is_empty() {
        return Some(out);
    }
    for part in s.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a, b),
            None => (part, part),
        };
        let a = parse_uint(a.trim().as_bytes())? as u32;
        let b = parse_uint(b.trim().as_bytes())? as u32;
        // 2^16 CPUs is beyond any kernel's NR_CPUS; refuse rather than allocate wildly.
        if b < a || b > 65_535 {
            return None;
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The compact form of a CPU set: `0-3,8`.
pub fn format_cpu_list(cpus: &[u32]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

fn read_u32(path: &Path) -> Option<u32> {
    let s = std::fs::read(path).ok()?;
    parse_uint(s.trim_ascii()).map(|v| v as u32)
}

/// The online CPUs' ids as the kernel lists them, or `None` when /sys does not say.
pub fn read_online(sys: &Path) -> Option<String> {
    std::fs::read_to_string(sys.join("devices/system/cpu/online"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Topology of the CPUs in `online` (a kernel CPU list).
pub fn read_topology(sys: &Path, online: &str) -> Vec<CpuTopology> {
    let Some(ids) = parse_cpu_list(online) else {
        return Vec::new();
    };
    let cpu_dir = sys.join("devices/system/cpu");
    let mut node_of = std::collections::HashMap::new();
    if let Ok(rd) = std::fs::read_dir(sys.join("devices/system/node")) {
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|s| s.strip_prefix("node"))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(list) = std::fs::read_to_string(e.path().join("cpulist"))
                .ok()
                .and_then(|s| parse_cpu_list(&s))
            {
                for c in list {
                    node_of.insert(c, n);
                }
            }
        }
    }
    ids.into_iter()
        .map(|id| {
            let topo = cpu_dir.join(format!("cpu{id}/topology"));
            CpuTopology {
                id,
                core: read_u32(&topo.join("core_id")),
                package: read_u32(&topo.join("physical_package_id")),
                node: node_of.get(&id).copied(),
            }
        })
        .collect()
}

/// Keeps the topology current across hotplug while reading only one file per tick.
#[derive(Debug, Default)]
pub struct TopologyCache {
    online: Option<String>,
    topology: Vec<CpuTopology>,
}

impl TopologyCache {
    pub fn refresh(&mut self, sys: &Path) -> &[CpuTopology] {
        let online = read_online(sys);
        if online != self.online {
            self.topology = online
                .as_deref()
                .map(|o| read_topology(sys, o))
                .unwrap_or_default();
            self.online = online;
        }
        &self.topology
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_round_trip() {
        assert_eq!(parse_cpu_list("0-3,8"), Some(vec![0, 1, 2, 3, 8]));
        assert_eq!(parse_cpu_list("1"), Some(vec![1]));
        assert_eq!(parse_cpu_list(""), Some(vec![]));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
        assert_eq!(parse_cpu_list("0-99999999"), None);
        assert_eq!(format_cpu_list(&[8, 0, 1, 2, 3]), "0-3,8");
        assert_eq!(format_cpu_list(&[0, 2, 4]), "0,2,4");
        assert_eq!(format_cpu_list(&[]), "");
    }

    #[test]
    fn reads_a_fabricated_sys_and_follows_hotplug() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sys = dir.path();
        let cpu = sys.join("devices/system/cpu");
        for (id, core, pkg) in [(0, 0, 0), (1, 0, 0), (2, 1, 1)] {
            let t = cpu.join(format!("cpu{id}/topology"));
            std::fs::create_dir_all(&t).expect("mkdir");
            std::fs::write(t.join("core_id"), format!("{core}\n")).expect("write");
            std::fs::write(t.join("physical_package_id"), format!("{pkg}\n")).expect("write");
        }
        std::fs::create_dir_all(sys.join("devices/system/node/node1")).expect("mkdir");
        std::fs::write(sys.join("devices/system/node/node1/cpulist"), "2\n").expect("write");
        std::fs::write(cpu.join("online"), "0-2\n").expect("write");
        let mut cache = TopologyCache::default();
        let t = cache.refresh(sys).to_vec();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[2],
            CpuTopology {
                id: 2,
                core: Some(1),
                package: Some(1),
                node: Some(1)
            }
        );
        assert_eq!(t[0].node, None);
        // CPU 1 goes offline: its directory may even vanish.
        std::fs::write(cpu.join("online"), "0,2\n").expect("write");
        std::fs::remove_dir_all(cpu.join("cpu1")).expect("rm");
        let ids: Vec<u32> = cache.refresh(sys).iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![0, 2]);
        // And /sys disappearing altogether is not a crash.
        std::fs::remove_dir_all(sys.join("devices")).expect("rm");
        assert!(cache.refresh(sys).is_empty());
    }
}
