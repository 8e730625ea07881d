//! A readable name for a cgroup path: the systemd unit (`nginx.service`,
//! `session-3.scope`), the container (`docker:0123456789ab`, with the Kubernetes pod UID and
//! QoS class when the path has them), else the path's last component. Pure: the path is
//! all it looks at, and every byte of the result is escaped for display.

use crate::text::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// The root cgroup (`/`).
    Root,
    /// A systemd unit: service, scope, slice...
    Unit,
    /// A container (docker, containerd, cri-o, podman, or a bare container id).
    Container,
    /// A Kubernetes pod's own cgroup (its containers are below it).
    Pod,
    /// None of those: the last path component.
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadableName {
    pub kind: NameKind,
    pub text: String,
}

const UNIT_SUFFIXES: [&str; 10] = [
    ".service", ".scope", ".slice", ".socket", ".mount", ".swap", ".timer", ".target", ".path",
    ".device",
];

/// Container runtimes by the prefix of their scope or cgroup name, longest first.
const RUNTIME_PREFIXES: [(&str, &str); 8] = [
    ("cri-containerd-", "containerd"),
    ("crio-conmon-", "cri-o-conmon"),
    ("libpod-conmon-", "podman-conmon"),
    ("containerd-", "containerd"),
    ("docker-", "docker"),
    ("libpod-", "podman"),
    ("crio-", "cri-o"),
    ("podman-", "podman"),
];

fn is_hex_id(s: &str) -> bool {
    s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A pod UID: 36 characters of hex and `-` (cgroupfs driver) or `_` (systemd driver).
fn pod_uid(s: &str) -> Option<String> {
    let uid = s.strip_prefix("pod")?;
    (uid.len() == 36
        && uid
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'_'))
    .then(|| uid.replace('_', "-"))
}

/// The pod UID and QoS class when the path is under Kubernetes' `kubepods`.
fn pod_of(comps: &[&str]) -> Option<(String, &'static str, usize)> {
    if !comps.iter().any(|c| c.starts_with("kubepods")) {
        return None;
    }
    let qos = if comps.iter().any(|c| c.contains("besteffort")) {
        "besteffort"
    } else if comps.iter().any(|c| c.contains("burstable")) {
        "burstable"
    } else {
        "guaranteed"
    };
    comps.iter().enumerate().find_map(|(i, c)| {
        // cgroupfs: `pod<uid>`; systemd: `kubepods-burstable-pod<uid>.slice`.
        let c = c.strip_suffix(".slice").unwrap_or(c);
        let last = c.rsplit('-').next().unwrap_or(c);
        let uid = pod_uid(c).or_else(|| c.contains("-pod").then(|| pod_uid(last)).flatten())?;
        Some((uid, qos, i))
    })
}

/// The runtime and the full id of a container's cgroup name, when it is one.
fn container_of<'a>(comp: &'a str, parent: Option<&str>) -> Option<(&'static str, &'a str)> {
    let base = comp.strip_suffix(".scope").unwrap_or(comp);
    for (prefix, runtime) in RUNTIME_PREFIXES {
        if let Some(id) = base.strip_prefix(prefix)
            && is_hex_id(id)
        {
            return Some((runtime, id));
        }
    }
    if is_hex_id(base) {
        let runtime = match parent {
            Some("docker") => "docker",
            Some("libpod_parent") => "podman",
            _ => "container",
        };
        return Some((runtime, base));
    }
    None
}

/// The name of cgroup `path` (as `/proc/TID/cgroup` gives it).
pub fn readable_name(path: &[u8]) -> ReadableName {
    let text = escape(path);
    let comps: Vec<&str> = text.split('/').filter(|c| !c.is_empty()).collect();
    let Some(&last) = comps.last() else {
        return ReadableName {
            kind: NameKind::Root,
            text: "/".into(),
        };
    };
    let pod = pod_of(&comps);
    let parent = comps.len().checked_sub(2).map(|i| comps[i]);
    if let Some((runtime, id)) = container_of(last, parent) {
        let mut text = format!("{runtime}:{}", &id[..12]);
        if let Some((uid, qos, _)) = &pod {
            text.push_str(&format!(" pod:{uid} {qos}"));
        }
        return ReadableName {
            kind: NameKind::Container,
            text,
        };
    }
    if let Some((uid, qos, at)) = pod
        && at + 1 == comps.len()
    {
        return ReadableName {
            kind: NameKind::Pod,
            text: format!("pod:{uid} {qos}"),
        };
    }
    let kind = if UNIT_SUFFIXES
        .iter()
        .any(|s| last.ends_with(s) && last.len() > s.len())
    {
        NameKind::Unit
    } else {
        NameKind::Plain
    };
    ReadableName {
        kind,
        text: last.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const UID: &str = "1f4e2b7c-8d9a-4b3c-9e1f-2a3b4c5d6e7f";

    fn name(p: &str) -> (NameKind, String) {
        let n = readable_name(p.as_bytes());
        (n.kind, n.text)
    }

    #[test]
    fn systemd_units() {
        assert_eq!(
            name("/system.slice/nginx.service"),
            (NameKind::Unit, "nginx.service".into())
        );
        assert_eq!(
            name("/user.slice/user-1000.slice/session-3.scope"),
            (NameKind::Unit, "session-3.scope".into())
        );
        assert_eq!(
            name(
                "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope"
            ),
            (NameKind::Unit, "app-gnome-firefox-1234.scope".into())
        );
        assert_eq!(name("/user.slice"), (NameKind::Unit, "user.slice".into()));
        assert_eq!(name("/"), (NameKind::Root, "/".into()));
        assert_eq!(name(""), (NameKind::Root, "/".into()));
    }

    #[test]
    fn docker_containerd_crio_podman() {
        let short = &ID[..12];
        // docker, cgroupfs and systemd drivers.
        assert_eq!(
            name(&format!("/docker/{ID}")),
            (NameKind::Container, format!("docker:{short}"))
        );
        assert_eq!(
            name(&format!("/system.slice/docker-{ID}.scope")),
            (NameKind::Container, format!("docker:{short}"))
        );
        // containerd (nerdctl, systemd driver) and a bare id under a namespace (cgroupfs).
        assert_eq!(
            name(&format!("/system.slice/containerd-{ID}.scope")),
            (NameKind::Container, format!("containerd:{short}"))
        );
        assert_eq!(
            name(&format!("/default/{ID}")),
            (NameKind::Container, format!("container:{short}"))
        );
        // cri-o and its conmon.
        assert_eq!(
            name(&format!("/machine.slice/crio-{ID}.scope")),
            (NameKind::Container, format!("cri-o:{short}"))
        );
        assert_eq!(
            name(&format!("/machine.slice/crio-conmon-{ID}.scope")),
            (NameKind::Container, format!("cri-o-conmon:{short}"))
        );
        // podman: root (systemd), rootless (user session), cgroupfs.
        assert_eq!(
            name(&format!("/machine.slice/libpod-{ID}.scope")),
            (NameKind::Container, format!("podman:{short}"))
        );
        assert_eq!(
            name(&format!(
                "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/container"
            )),
            (NameKind::Plain, "container".into())
        );
        assert_eq!(
            name(&format!("/libpod_parent/libpod-{ID}")),
            (NameKind::Container, format!("podman:{short}"))
        );
        // Not an id: too short, or not hex.
        assert_eq!(name("/docker/abc"), (NameKind::Plain, "abc".into()));
        assert_eq!(
            name("/system.slice/docker-notanid.scope"),
            (NameKind::Unit, "docker-notanid.scope".into())
        );
    }

    #[test]
    fn kubernetes_cgroupfs_and_systemd_drivers() {
        let short = &ID[..12];
        // cgroupfs driver: QoS directories, pod<uid>, the container id.
        assert_eq!(
            name(&format!("/kubepods/burstable/pod{UID}/{ID}")),
            (
                NameKind::Container,
                format!("container:{short} pod:{UID} burstable")
            )
        );
        assert_eq!(
            name(&format!("/kubepods/besteffort/pod{UID}/{ID}")),
            (
                NameKind::Container,
                format!("container:{short} pod:{UID} besteffort")
            )
        );
        // Guaranteed pods sit right under kubepods.
        assert_eq!(
            name(&format!("/kubepods/pod{UID}/{ID}")),
            (
                NameKind::Container,
                format!("container:{short} pod:{UID} guaranteed")
            )
        );
        assert_eq!(
            name(&format!("/kubepods/burstable/pod{UID}")),
            (NameKind::Pod, format!("pod:{UID} burstable"))
        );
        // systemd driver: the UID's dashes become underscores in the slice name.
        let uid_ = UID.replace('-', "_");
        assert_eq!(
            name(&format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid_}.slice/cri-containerd-{ID}.scope"
            )),
            (
                NameKind::Container,
                format!("containerd:{short} pod:{UID} burstable")
            )
        );
        assert_eq!(
            name(&format!(
                "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{uid_}.slice/crio-{ID}.scope"
            )),
            (
                NameKind::Container,
                format!("cri-o:{short} pod:{UID} besteffort")
            )
        );
        assert_eq!(
            name(&format!("/kubepods.slice/kubepods-pod{uid_}.slice")),
            (NameKind::Pod, format!("pod:{UID} guaranteed"))
        );
        assert_eq!(
            name("/kubepods.slice/kubepods-burstable.slice"),
            (NameKind::Unit, "kubepods-burstable.slice".into())
        );
    }

    #[test]
    fn hostile_paths_are_escaped() {
        assert_eq!(
            name("/a b/evil\x1b[31m\n.service"),
            (NameKind::Unit, "evil\\e[31m\\n.service".into())
        );
        let n = readable_name(b"/x/\xff\xfe");
        assert_eq!(n.text, "\\xff\\xfe");
    }
}
