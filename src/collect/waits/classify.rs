//! From one sample's raw text (state letter, wchan, /proc/TID/syscall) to a reason and
//! what to look up next. Pure: tested on the kernel's own formats.

use serde::Serialize;

/// Why a task was off a CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// In futex: a lock or a condition variable.
    Lock = 0,
    /// Uninterruptible (D): disk, page faults, some kernel locks.
    Io = 1,
    /// Waiting on a file descriptor: read, recv, accept, poll, epoll, select...
    FdWait = 2,
    /// nanosleep, clock_nanosleep.
    Sleep = 3,
    /// Stopped by a signal or traced.
    Stopped = 4,
    Other = 5,
}

impl Reason {
    pub const COUNT: usize = 6;
    pub const ALL: [Reason; Reason::COUNT] = [
        Reason::Lock,
        Reason::Io,
        Reason::FdWait,
        Reason::Sleep,
        Reason::Stopped,
        Reason::Other,
    ];
}

/// `/proc/TID/syscall` with its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    Running,
    NotInSyscall,
    In { nr: u64, args: [u64; 6] },
}

/// `nr arg1 .. arg6 sp pc` (nr decimal, the rest hex with 0x), `-1 sp pc`, `running`.
pub fn parse_syscall(buf: &[u8]) -> Option<Syscall> {
    let text = std::str::from_utf8(buf).ok()?;
    let mut it = text.split_ascii_whitespace();
    let first = it.next()?;
    match first {
        "running" => return Some(Syscall::Running),
        "-1" => return Some(Syscall::NotInSyscall),
        _ => {}
    }
    let nr = first.parse().ok()?;
    let mut args = [0u64; 6];
    for a in &mut args {
        let f = it.next()?;
        *a = u64::from_str_radix(f.strip_prefix("0x")?, 16).ok()?;
    }
    Some(Syscall::In { nr, args })
}

const TABLE: &str = if cfg!(target_arch = "aarch64") {
    include_str!("../../../assets/syscalls/aarch64.tsv")
} else {
    include_str!("../../../assets/syscalls/x86_64.tsv")
};

/// The name of system call `nr` here (the same table the explain card uses).
pub fn syscall_name(nr: u64) -> Option<&'static str> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(n, _)| n.parse::<u64>().ok() == Some(nr))
        .map(|(_, name)| name.trim())
}

/// What a system call waits on, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Futex,
    /// Its first argument is the descriptor waited on.
    Fd,
    /// poll/ppoll/select: the first argument is an array or a count, not one descriptor.
    Multi,
    /// nanosleep (request at arg 0) or clock_nanosleep (flags at 1, request at 2).
    Sleep {
        request_arg: usize,
        flags_arg: Option<usize>,
    },
    Other,
}

pub fn kind_of(name: &str) -> Kind {
    match name {
        "futex" | "futex_wait" | "futex_waitv" => Kind::Futex,
        "read" | "readv" | "pread64" | "preadv" | "preadv2" | "recvfrom" | "recvmsg"
        | "recvmmsg" | "write" | "writev" | "pwrite64" | "sendto" | "sendmsg" | "accept"
        | "accept4" | "connect" | "epoll_wait" | "epoll_pwait" | "epoll_pwait2" | "flock" => {
            Kind::Fd
        }
        "poll" | "ppoll" | "select" | "pselect6" => Kind::Multi,
        "nanosleep" => Kind::Sleep {
            request_arg: 0,
            flags_arg: None,
        },
        "clock_nanosleep" => Kind::Sleep {
            request_arg: 2,
            flags_arg: Some(1),
        },
        _ => Kind::Other,
    }
}

/// The reason for a blocked task from its state letter and, when readable, its system call.
/// `None`: not blocked (R), or gone (Z, X): no off-CPU sample.
pub fn reason(state: u8, syscall: Option<&str>, wchan: &[u8]) -> Option<Reason> {
    match state {
        b'R' | b'Z' | b'X' => return None,
        b'D' => return Some(Reason::Io),
        b'T' | b't' => return Some(Reason::Stopped),
        _ => {}
    }
    if let Some(name) = syscall {
        return Some(match kind_of(name) {
            Kind::Futex => Reason::Lock,
            Kind::Fd | Kind::Multi => Reason::FdWait,
            Kind::Sleep { .. } => Reason::Sleep,
            Kind::Other => Reason::Other,
        });
    }
    Some(reason_from_wchan(wchan))
}

/// Without the system call (no ptrace access, or not in one): the kernel function says
/// most of it. Names as Linux 6.x has them.
pub fn reason_from_wchan(wchan: &[u8]) -> Reason {
    let w = String::from_utf8_lossy(wchan);
    let w = w.trim();
    if w.starts_with("futex") {
        Reason::Lock
    } else if w.contains("nanosleep") || w == "common_nsleep" {
        Reason::Sleep
    } else if matches!(
        w,
        "pipe_read"
            | "pipe_write"
            | "pipe_wait"
            | "pipe_wait_readable"
            | "pipe_wait_writable"
            | "wait_woken"
            | "sk_wait_data"
            | "do_epoll_wait"
            | "ep_poll"
            | "do_sys_poll"
            | "do_select"
            | "core_sys_select"
            | "inet_csk_accept"
            | "unix_stream_read_generic"
            | "unix_stream_data_wait"
            | "n_tty_read"
            | "tty_read"
    ) {
        Reason::FdWait
    } else {
        Reason::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_formats_parse() {
        let futex = b"202 0x7f2a5c000b28 0x80 0x2 0x0 0x0 0x0 0x7ffd1c0 0x7f2a1b2\n";
        assert_eq!(
            parse_syscall(futex),
            Some(Syscall::In {
                nr: 202,
                args: [0x7f2a5c000b28, 0x80, 2, 0, 0, 0]
            })
        );
        assert_eq!(parse_syscall(b"running\n"), Some(Syscall::Running));
        assert_eq!(
            parse_syscall(b"-1 0x7ffd 0x4005\n"),
            Some(Syscall::NotInSyscall)
        );
        assert_eq!(parse_syscall(b"202 0x1 0x2"), None, "truncated");
        assert_eq!(parse_syscall(b"202 1 2 3 4 5 6 7 8"), None, "no 0x");
        assert_eq!(parse_syscall(b"\xff\xfe"), None);
        assert_eq!(parse_syscall(b""), None);
    }

    #[test]
    fn reasons_from_the_system_call_first_then_wchan() {
        assert_eq!(reason(b'R', Some("futex"), b"0"), None);
        assert_eq!(
            reason(b'S', Some("futex"), b"futex_wait_queue"),
            Some(Reason::Lock)
        );
        assert_eq!(
            reason(b'S', Some("read"), b"pipe_read"),
            Some(Reason::FdWait)
        );
        assert_eq!(
            reason(b'S', Some("ppoll"), b"do_sys_poll"),
            Some(Reason::FdWait)
        );
        assert_eq!(
            reason(b'S', Some("clock_nanosleep"), b"hrtimer_nanosleep"),
            Some(Reason::Sleep)
        );
        assert_eq!(reason(b'S', Some("wait4"), b"do_wait"), Some(Reason::Other));
        assert_eq!(
            reason(b'D', Some("read"), b"folio_wait_bit"),
            Some(Reason::Io)
        );
        assert_eq!(reason(b't', None, b"ptrace_stop"), Some(Reason::Stopped));
        // No ptrace access: wchan decides.
        assert_eq!(reason(b'S', None, b"futex_wait_queue"), Some(Reason::Lock));
        assert_eq!(reason(b'S', None, b"pipe_read"), Some(Reason::FdWait));
        assert_eq!(
            reason(b'S', None, b"hrtimer_nanosleep"),
            Some(Reason::Sleep)
        );
        assert_eq!(reason(b'S', None, b"\x1b[31m"), Some(Reason::Other));
    }

    #[test]
    fn names_come_from_the_table() {
        if cfg!(target_arch = "x86_64") {
            assert_eq!(syscall_name(202), Some("futex"));
            assert_eq!(syscall_name(0), Some("read"));
            assert_eq!(syscall_name(230), Some("clock_nanosleep"));
        }
        assert_eq!(syscall_name(99_999), None);
        assert_eq!(kind_of("accept4"), Kind::Fd);
    }
}
