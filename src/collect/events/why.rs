//! Why the event source cannot run here, in words a user can act on. Checked before
//! loading (so `--events auto` as an ordinary user costs nothing and says why) and used to
//! explain a load that failed anyway.

/// Capability numbers (include/uapi/linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The oldest kernel the object loads on: its task map is not preallocated (memory follows
/// the tasks seen, ~1.1 KB each, instead of 37 MB up front for 32,768), and tracing
/// programs may use such maps since Linux 6.1. It also settles locked memory: since 5.11
/// BPF memory is charged to the memory cgroup, not to RLIMIT_MEMLOCK, so that limit
/// cannot be what stops a load here.
pub const MIN_KERNEL: (u32, u32) = (6, 1);

/// Where the kernel's own type information lives; CO-RE and tp_btf need it.
pub const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

/// What stands in the way before trying, if anything can be told without trying.
pub fn precheck(status: &str, release: &str, btf_present: bool) -> Option<String> {
    if let Some(caps) = cap_eff(status) {
        let has = |c: u32| caps & (1u64 << c) != 0;
        let admin = has(CAP_SYS_ADMIN);
        if !(admin || has(CAP_BPF) && has(CAP_PERFMON)) {
            return Some("needs root or CAP_BPF and CAP_PERFMON".into());
        }
    }
    // The programs see TIDs as the initial PID namespace numbers them; /proc here would
    // number them otherwise, and no task's figures would match.
    if status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .is_some_and(|ids| ids.split_whitespace().count() > 1)
    {
        return Some("threadtop runs in a PID namespace of its own (the kernel's TIDs differ from its /proc's)".into());
    }
    if let Some(v) = kernel_version(release)
        && v < MIN_KERNEL
    {
        return Some(format!(
            "needs Linux {}.{} or later (this is {release})",
            MIN_KERNEL.0, MIN_KERNEL.1
        ));
    }
    if !btf_present {
        return Some(format!(
            "the kernel has no BTF ({BTF_PATH} is missing: CONFIG_DEBUG_INFO_BTF)"
        ));
    }
    None
}

/// Explains a failed load or attach: lockdown first (it refuses with a bare EPERM).
pub fn explain_failure(what: &str, lockdown: Option<&str>) -> String {
    match lockdown.and_then(active_lockdown) {
        Some(mode) if mode != "none" => {
            format!("kernel lockdown ({mode}) refuses BPF tracing: {what}")
        }
        _ => format!("loading the BPF programs failed: {what}"),
    }
}

/// A load error without the verifier's log (thousands of lines): what came before it and
/// the log's verdict, the line before its statistics.
pub fn short_error(text: &str) -> String {
    let Some(at) = text.find("Verifier output:") else {
        return text.to_owned();
    };
    let log = &text[at..];
    let verdict = log
        .lines()
        .take_while(|l| !l.starts_with("verification time"))
        .filter(|l| !l.trim().is_empty())
        .last()
        .unwrap_or("");
    format!("{} verifier: {}", text[..at].trim_end(), verdict.trim())
}

/// `CapEff` of a /proc/PID/status text.
pub fn cap_eff(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// `6.18.0-1-amd64` -> (6, 18).
pub fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The bracketed mode of /sys/kernel/security/lockdown (`none [integrity] confidentiality`).
pub fn active_lockdown(text: &str) -> Option<&str> {
    let start = text.find('[')? + 1;
    let end = start + text[start..].find(']')?;
    Some(&text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privilege_is_named_when_missing() {
        let nobody = "Name:\tx\nCapEff:\t0000000000000000\n";
        let root = "CapEff:\t000001fffeffffff\n";
        let bpf_perfmon = format!("CapEff:\t{:016x}\n", (1u64 << 39) | (1 << 38));
        let bpf_only = format!("CapEff:\t{:016x}\n", 1u64 << 39);
        let why = precheck(nobody, "6.18.0", true);
        assert_eq!(
            why.as_deref(),
            Some("needs root or CAP_BPF and CAP_PERFMON")
        );
        assert_eq!(precheck(root, "6.18.0", true), None);
        assert_eq!(precheck(&bpf_perfmon, "6.18.0", true), None);
        assert!(precheck(&bpf_only, "6.18.0", true).is_some());
        let nested = "NSpid:\t4242\t7\nCapEff:\t000001fffeffffff\n";
        let why = precheck(nested, "6.18.0", true).unwrap_or_default();
        assert!(why.contains("PID namespace"), "{why}");
        let host = "NSpid:\t4242\nCapEff:\t000001fffeffffff\n";
        assert_eq!(precheck(host, "6.18.0", true), None);
    }

    #[test]
    fn old_kernels_and_missing_btf_are_named() {
        let root = "CapEff:\t000001fffeffffff\n";
        let old = precheck(root, "5.15.0-91-generic", true).unwrap_or_default();
        assert!(
            old.contains("6.1") && old.contains("5.15.0-91-generic"),
            "{old}"
        );
        let no_btf = precheck(root, "6.18.0", false).unwrap_or_default();
        assert!(no_btf.contains("BTF"), "{no_btf}");
        assert_eq!(kernel_version("6.18.0-1-amd64"), Some((6, 18)));
        assert_eq!(kernel_version("junk"), None);
    }

    #[test]
    fn the_verifier_log_is_cut_to_its_verdict() {
        let e = "sched_switch: the BPF_PROG_LOAD syscall returned Permission denied. Verifier output: 0: R1=ctx()\n1: (79) r7 = *(u64 *)(r1 +16)\nR4 max value is outside of the allowed memory range\nverification time 3492 usec\nstack depth 56\n";
        assert_eq!(
            short_error(e),
            "sched_switch: the BPF_PROG_LOAD syscall returned Permission denied. verifier: R4 max value is outside of the allowed memory range"
        );
        assert_eq!(short_error("no such file"), "no such file");
    }

    #[test]
    fn lockdown_is_read_from_its_brackets() {
        assert_eq!(
            active_lockdown("none [integrity] confidentiality\n"),
            Some("integrity")
        );
        let msg = explain_failure("EPERM", Some("none integrity [confidentiality]"));
        assert!(
            msg.starts_with("kernel lockdown (confidentiality)"),
            "{msg}"
        );
        let plain = explain_failure("EPERM", Some("[none] integrity confidentiality"));
        assert!(
            plain.starts_with("loading the BPF programs failed"),
            "{plain}"
        );
    }
}
