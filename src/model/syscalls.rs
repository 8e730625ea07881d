//! System call names, from tables embedded at build time (assets/syscalls/), so the
//! explain card can say "futex" instead of "202".

const X86_64: &str = include_str!("../../assets/syscalls/x86_64.tsv");
const AARCH64: &str = include_str!("../../assets/syscalls/aarch64.tsv");

fn table() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        AARCH64
    } else {
        X86_64
    }
}

fn lookup(table: &str, nr: u64) -> Option<&str> {
    table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(n, _)| n.parse::<u64>().ok() == Some(nr))
        .map(|(_, name)| name)
}

/// The name of system call `nr` on this machine's architecture.
pub fn name(nr: u64) -> Option<&'static str> {
    lookup(table(), nr)
}

/// What a task blocked in this system call is most likely waiting for, in plain words.
pub fn meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "futex" | "futex_wait" | "futex_waitv" => "waiting on a lock or condition variable",
        "read" | "readv" | "pread64" | "recvfrom" | "recvmsg" | "recvmmsg" => {
            "waiting for data to read (a pipe, socket or terminal)"
        }
        "write" | "writev" | "pwrite64" | "sendto" | "sendmsg" => "waiting until it can write",
        "poll" | "ppoll" | "select" | "pselect6" | "epoll_wait" | "epoll_pwait"
        | "epoll_pwait2" => {
            "waiting for any of several files or sockets to become ready (an event loop)"
        }
        "nanosleep" | "clock_nanosleep" => "sleeping for a set time",
        "wait4" | "waitid" => "waiting for a child process to exit",
        "accept" | "accept4" => "waiting for a network connection",
        "connect" => "waiting for a network connection to be established",
        "pause" | "rt_sigsuspend" | "rt_sigtimedwait" => "waiting for a signal",
        "io_getevents" | "io_uring_enter" => "waiting for asynchronous I/O to complete",
        "flock" | "fcntl" => "possibly waiting for a file lock",
        "msgrcv" | "semop" | "semtimedop" => "waiting on a System V IPC object",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_tables_name_the_usual_calls() {
        assert_eq!(super::lookup(super::X86_64, 202), Some("futex"));
        assert_eq!(super::lookup(super::X86_64, 0), Some("read"));
        assert_eq!(super::lookup(super::AARCH64, 98), Some("futex"));
        assert_eq!(super::lookup(super::AARCH64, 63), Some("read"));
        assert_eq!(super::lookup(super::X86_64, 99_999), None);
        assert!(super::name(0).is_some());
    }
}
