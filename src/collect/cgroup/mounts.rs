//! Where the cgroup hierarchies are mounted, from `/proc/self/mountinfo`, and where a
//! cgroup path from `/proc/TID/cgroup` is under its mount.
//!
//! Paths in `/proc/TID/cgroup` are relative to the reader's cgroup namespace root; a task
//! outside our namespace shows as `/../..` and its files cannot be reached. A mount may
//! show a subtree only (its `root` field is then not `/`).

use std::path::PathBuf;

use super::Why;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The cgroup path the mount shows at its mount point (`/` usually).
    pub root: Vec<u8>,
    pub point: PathBuf,
}

/// The hierarchies threadtop reads, where they are mounted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mounts {
    pub v2: Option<Mount>,
    pub cpu: Option<Mount>,
    pub cpuacct: Option<Mount>,
    pub cpuset: Option<Mount>,
    /// Any cgroup filesystem at all (v1 hierarchies threadtop does not read included).
    pub any: bool,
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\012` newline, `\134` `\`).
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\'
            && let Some(d) = s.get(i + 1..i + 4)
            && d.iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v =
                u32::from(d[0] - b'0') * 64 + u32::from(d[1] - b'0') * 8 + u32::from(d[2] - b'0');
            if let Ok(b) = u8::try_from(v) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

impl Mounts {
    /// Parses mountinfo. The first mount of each hierarchy wins; one showing the whole
    /// hierarchy (root `/`) is preferred over a subtree.
    pub fn parse(text: &[u8]) -> Mounts {
        use std::os::unix::ffi::OsStringExt;
        let mut m = Mounts::default();
        for line in text.split(|&b| b == b'\n') {
            let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
            let Some(dash) = fields.iter().position(|f| *f == b"-") else {
                continue;
            };
            let (Some(root), Some(point), Some(fstype), Some(opts)) = (
                fields.get(3),
                fields.get(4),
                fields.get(dash + 1),
                fields.get(dash + 3),
            ) else {
                continue;
            };
            let mount = Mount {
                root: unescape(root),
                point: PathBuf::from(std::ffi::OsString::from_vec(unescape(point))),
            };
            let better = |slot: &Option<Mount>| match slot {
                None => true,
                Some(old) => old.root != b"/" && mount.root == b"/",
            };
            match *fstype {
                b"cgroup2" => {
                    m.any = true;
                    if better(&m.v2) {
                        m.v2 = Some(mount);
                    }
                }
                b"cgroup" => {
                    m.any = true;
                    for o in opts.split(|&b| b == b',') {
                        let slot = match o {
                            b"cpu" => &mut m.cpu,
                            b"cpuacct" => &mut m.cpuacct,
                            b"cpuset" => &mut m.cpuset,
                            _ => continue,
                        };
                        if better(slot) {
                            *slot = Some(mount.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        m
    }

    /// Reads `<proc>/self/mountinfo`; nothing mounted when it cannot be read.
    pub fn read(proc_root: &std::path::Path) -> Mounts {
        std::fs::read(proc_root.join("self/mountinfo"))
            .map(|t| Mounts::parse(&t))
            .unwrap_or_default()
    }
}

impl Mount {
    /// The cgroup's directory relative to the mount point (`.` for the mount's root), for
    /// `openat` on the mount point's descriptor.
    pub fn relative(&self, path: &[u8]) -> Result<Vec<u8>, Why> {
        if !path.starts_with(b"/") || path.split(|&b| b == b'/').any(|c| c == b"..") {
            return Err(Why::OutsideNamespace);
        }
        let root = self.root.strip_suffix(b"/").unwrap_or(&self.root);
        let rest = path
            .strip_prefix(root)
            .filter(|r| r.is_empty() || r.starts_with(b"/"))
            .ok_or(Why::OutsideNamespace)?;
        let rest: Vec<u8> = rest
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect::<Vec<_>>()
            .join(&b'/');
        Ok(if rest.is_empty() { b".".to_vec() } else { rest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &[u8] = b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
";

    #[test]
    fn hybrid_v2_and_no_cgroups() {
        let m = Mounts::parse(HYBRID);
        assert!(m.any);
        assert_eq!(
            m.cpu.expect("parsed").point,
            PathBuf::from("/sys/fs/cgroup/cpu")
        );
        assert_eq!(
            m.cpuacct.expect("parsed").point,
            PathBuf::from("/sys/fs/cgroup/cpuacct")
        );
        assert_eq!(
            m.cpuset.expect("parsed").point,
            PathBuf::from("/sys/fs/cgroup/cpuset")
        );
        assert_eq!(
            m.v2.expect("parsed").point,
            PathBuf::from("/sys/fs/cgroup/unified")
        );
        let v2 = Mounts::parse(b"30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
        assert_eq!(
            v2.v2.expect("parsed").point,
            PathBuf::from("/sys/fs/cgroup")
        );
        assert!(v2.cpu.is_none());
        let comounted =
            Mounts::parse(b"32 31 0:29 / /cg/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
        assert_eq!(comounted.cpu, comounted.cpuacct);
        let none = Mounts::parse(b"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
        assert_eq!(none, Mounts::default());
        // A mount point with a space is escaped in mountinfo.
        let sp = Mounts::parse(b"30 1 0:26 / /my\\040cg rw - cgroup2 cgroup2 rw\n");
        assert_eq!(sp.v2.expect("parsed").point, PathBuf::from("/my cg"));
        assert_eq!(Mounts::parse(b"garbage\n- - -\n"), Mounts::default());
    }

    #[test]
    fn paths_under_a_mount_and_outside_it() {
        let whole = Mount {
            root: b"/".to_vec(),
            point: "/sys/fs/cgroup".into(),
        };
        assert_eq!(whole.relative(b"/").expect("parsed"), b".");
        assert_eq!(whole.relative(b"/a b/c").expect("parsed"), b"a b/c");
        assert_eq!(whole.relative(b"/../x"), Err(Why::OutsideNamespace));
        assert_eq!(whole.relative(b"x"), Err(Why::OutsideNamespace));
        let sub = Mount {
            root: b"/docker/abc".to_vec(),
            point: "/sys/fs/cgroup".into(),
        };
        assert_eq!(sub.relative(b"/docker/abc").expect("parsed"), b".");
        assert_eq!(sub.relative(b"/docker/abc/x").expect("parsed"), b"x");
        assert_eq!(sub.relative(b"/docker/abcd"), Err(Why::OutsideNamespace));
        assert_eq!(sub.relative(b"/"), Err(Why::OutsideNamespace));
    }
}
