//! One plain sentence for a task, pool or process: what its last interval means. Pure: the
//! facts in, a sentence out (the WHY column and the explain card draw it).

use crate::collect::waits::Reason;

use super::why::{Breakdown, WaitingOn};

/// Waiting for a CPU this share of the interval or more is CPU starvation: a task that
/// waits a quarter of its time for a CPU runs at most three quarters as fast as it could.
pub const STARVED_PERCENT: f64 = 25.0;
/// On a CPU this share or more is busy.
pub const BUSY_PERCENT: f64 = 70.0;
/// Throttled this share or more (and most of the wait): the cgroup's quota is the cause.
pub const THROTTLED_PERCENT: f64 = 10.0;
/// A group whose members together run or wait for a CPU at least this share of one while
/// most wait on one futex is a convoy (the lock is passed around); below it they wait for
/// work (a condition variable) or for a holder that is itself off a CPU. Waiting for a CPU
/// counts: at load 20 on 2 CPUs a 6-thread convoy ran 1 % of a CPU together and waited for
/// one 180 % (its holder was runnable, not idle).
pub const CONVOY_RUNNING_PERCENT: f64 = 10.0;

/// Busy threads sharing the CPU a task last ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowd {
    pub cpu: u32,
    pub busy: usize,
}

/// The futex most of a task's or group's threads wait on.
#[derive(Debug, Clone, PartialEq)]
pub struct LockFacts {
    /// Threads (of the group) waiting on it.
    pub waiters: usize,
    /// Threads in the group.
    pub of: usize,
    pub futex: String,
    /// The thread near it on a CPU most (escaped name).
    pub busiest: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Facts<'a> {
    pub breakdown: Option<&'a Breakdown>,
    pub interval_secs: Option<f64>,
    /// 1 for a task.
    pub members: usize,
    pub waiting_on: Option<&'a WaitingOn>,
    pub lock: Option<LockFacts>,
    pub crowd: Option<Crowd>,
    /// The cgroup's CPU quota, when the cgroup facts are joined.
    pub quota_cpus: Option<f64>,
}

/// "of the last second", "of the last 2.5 s".
fn span(secs: Option<f64>) -> String {
    match secs {
        Some(s) if (s - 1.0).abs() < 0.15 => "of the last second".into(),
        Some(s) => format!("of the last {s:.1} s"),
        None => "of the last interval".into(),
    }
}

fn pct(v: f64) -> String {
    format!("{:.0} %", v.round())
}

pub fn verdict(f: &Facts<'_>) -> String {
    let Some(b) = f.breakdown else {
        return "unknown: not sampled in the last interval".into();
    };
    if let Some(t) = b.throttled
        && t >= THROTTLED_PERCENT
        && t * 2.0 >= b.runnable
    {
        return match f.quota_cpus {
            Some(q) => format!("throttled by its cgroup ({} CPU)", trim(q)),
            None => format!(
                "throttled by its cgroup {} {}",
                pct(t),
                span(f.interval_secs)
            ),
        };
    }
    let (reason, share) = b.main_off();
    // Starved when waiting for a CPU is a real share and the biggest thing it waits for.
    if b.runnable >= STARVED_PERCENT && b.runnable >= share {
        let mut s = format!(
            "CPU-starved: waited for a CPU {} {}",
            pct(b.runnable),
            span(f.interval_secs)
        );
        if let Some(c) = f.crowd {
            s.push_str(&format!(" ({} busy threads share CPU {})", c.busy, c.cpu));
        }
        return s;
    }
    if b.running >= BUSY_PERCENT {
        return format!("busy: on CPU {}", pct(b.running));
    }
    if share < 1.0 {
        return format!(
            "busy: on CPU {}, waiting for a CPU {}",
            pct(b.running),
            pct(b.runnable)
        );
    }
    match reason {
        Reason::Lock => lock_sentence(f, b),
        Reason::FdWait => format!(
            "idle: {}",
            f.waiting_on
                .filter(|w| w.kind == "fd")
                .map_or_else(|| "waiting on a file descriptor".into(), fd_sentence)
        ),
        Reason::Sleep => {
            let how = f
                .waiting_on
                .filter(|w| w.kind == "sleep" && w.detail.contains(" at a time"))
                .map(|w| format!(" ({})", w.detail))
                .unwrap_or_default();
            format!("sleeping {} {}{how}", pct(share), span(f.interval_secs))
        }
        Reason::Io => format!(
            "in I/O: {} {} in uninterruptible waits",
            pct(share),
            span(f.interval_secs)
        ),
        Reason::Stopped => "stopped: by a signal or a debugger".into(),
        Reason::Other => match f.waiting_on {
            Some(w) if w.detail.starts_with("unknown") => format!(
                "off CPU {} {}, why unknown ({})",
                pct(share),
                span(f.interval_secs),
                w.detail
                    .trim_start_matches("unknown (")
                    .split(')')
                    .next()
                    .unwrap_or("")
            ),
            Some(w) => format!("idle: {}", w.detail),
            None => format!("idle: off CPU {}", pct(share)),
        },
    }
}

fn lock_sentence(f: &Facts<'_>, b: &Breakdown) -> String {
    match &f.lock {
        Some(l) if f.members > 1 && l.waiters >= 2 => {
            let holder = l
                .busiest
                .as_ref()
                .map(|n| format!("; {n} holds the CPU most"))
                .unwrap_or_default();
            if (b.running + b.runnable) * f.members as f64 >= CONVOY_RUNNING_PERCENT {
                format!(
                    "lock convoy: {} of {} wait on one futex ({}){holder}",
                    l.waiters, l.of, l.futex
                )
            } else {
                format!(
                    "idle: {} of {} wait on one futex ({}), a condition or a lock nobody holds long",
                    l.waiters, l.of, l.futex
                )
            }
        }
        Some(l) if l.waiters >= 2 => format!(
            "waiting on a lock {} {} (futex {}, with {} other threads)",
            pct(b.lock),
            span(f.interval_secs),
            l.futex,
            l.waiters - 1
        ),
        _ => format!(
            "waiting on a lock {} {}{}",
            pct(b.lock),
            span(f.interval_secs),
            f.waiting_on
                .filter(|w| w.kind == "futex")
                .map(|w| format!(" ({})", w.detail))
                .unwrap_or_default()
        ),
    }
}

/// "blocked reading a pipe", "waiting for a connection (TCP LISTEN on port 80)".
fn fd_sentence(w: &WaitingOn) -> String {
    let d = &w.detail;
    let call = d.split(' ').next().unwrap_or("");
    let what = d.split_once(": ").map_or("", |x| x.1);
    let object = if what.starts_with("pipe:") {
        "a pipe".to_string()
    } else if what.starts_with("socket:") {
        match what.split_once(" (") {
            Some((_, tcp)) => format!("a socket ({}", tcp),
            None => "a socket".into(),
        }
    } else if what.starts_with("anon_inode:[eventpoll]") {
        "an epoll set".into()
    } else if what.starts_with('/') {
        what.to_string()
    } else {
        format!("fd ({what})")
    };
    match call {
        "read" | "readv" | "pread64" | "preadv" | "preadv2" | "recvfrom" | "recvmsg"
        | "recvmmsg" => format!("blocked reading {object}"),
        "write" | "writev" | "pwrite64" | "sendto" | "sendmsg" => {
            format!("blocked writing {object}")
        }
        "accept" | "accept4" => format!("waiting for a connection on {object}"),
        "connect" => format!("waiting to connect {object}"),
        "epoll_wait" | "epoll_pwait" | "epoll_pwait2" => "waiting in an event loop (epoll)".into(),
        _ => format!("blocked in {call} on {object}"),
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(running: f64, runnable: f64) -> Breakdown {
        Breakdown {
            running,
            runnable,
            other: 100.0 - running - runnable,
            ..Breakdown::default()
        }
    }

    fn facts(b: &Breakdown) -> Facts<'_> {
        Facts {
            breakdown: Some(b),
            interval_secs: Some(1.0),
            members: 1,
            waiting_on: None,
            lock: None,
            crowd: None,
            quota_cpus: None,
        }
    }

    #[test]
    fn starved_busy_and_unknown() {
        let x = b(33.0, 62.0);
        let f = Facts {
            crowd: Some(Crowd { cpu: 1, busy: 3 }),
            ..facts(&x)
        };
        assert_eq!(
            verdict(&f),
            "CPU-starved: waited for a CPU 62 % of the last second (3 busy threads share CPU 1)"
        );
        let y = b(97.0, 1.0);
        assert_eq!(verdict(&facts(&y)), "busy: on CPU 97 %");
        let none = Facts {
            breakdown: None,
            ..facts(&y)
        };
        assert!(verdict(&none).starts_with("unknown"));
        let two = Facts {
            interval_secs: Some(2.0),
            ..facts(&x)
        };
        assert_eq!(
            verdict(&two),
            "CPU-starved: waited for a CPU 62 % of the last 2.0 s"
        );
    }

    #[test]
    fn the_biggest_wait_names_the_cause() {
        // A lock pool on a loaded machine: it waits for a CPU too, but mostly for the lock.
        let x = Breakdown {
            running: 2.0,
            runnable: 30.0,
            lock: 68.0,
            ..Breakdown::default()
        };
        assert!(verdict(&facts(&x)).starts_with("waiting on a lock 68 %"));
        let unknown = WaitingOn {
            kind: "other",
            detail: "unknown (needs ptrace access)".into(),
        };
        let y = Breakdown {
            other: 96.0,
            runnable: 4.0,
            ..Breakdown::default()
        };
        let f = Facts {
            waiting_on: Some(&unknown),
            ..facts(&y)
        };
        assert_eq!(
            verdict(&f),
            "off CPU 96 % of the last second, why unknown (needs ptrace access)"
        );
    }

    #[test]
    fn throttling_is_named_only_with_cgroup_facts() {
        let mut x = b(20.0, 60.0);
        x.throttled = Some(50.0);
        let f = Facts {
            quota_cpus: Some(0.5),
            ..facts(&x)
        };
        assert_eq!(verdict(&f), "throttled by its cgroup (0.5 CPU)");
        x.throttled = None;
        assert!(verdict(&facts(&x)).starts_with("CPU-starved"));
    }

    #[test]
    fn convoys_and_idle_condition_waits() {
        let x = Breakdown {
            running: 2.0,
            runnable: 5.0,
            lock: 88.0,
            other: 5.0,
            ..Breakdown::default()
        };
        let lock = LockFacts {
            waiters: 6,
            of: 8,
            futex: "0x7f2a5c000b28".into(),
            busiest: Some("lock-0".into()),
        };
        let f = Facts {
            members: 8,
            lock: Some(lock.clone()),
            ..facts(&x)
        };
        assert_eq!(
            verdict(&f),
            "lock convoy: 6 of 8 wait on one futex (0x7f2a5c000b28); lock-0 holds the CPU most"
        );
        // On a loaded machine a convoy mostly waits for a CPU: still a convoy, not idle.
        let loaded = Breakdown {
            running: 0.2,
            runnable: 30.0,
            lock: 69.8,
            ..Breakdown::default()
        };
        let l = Facts {
            breakdown: Some(&loaded),
            ..f.clone()
        };
        assert!(
            verdict(&l).starts_with("lock convoy: 6 of 8"),
            "{}",
            verdict(&l)
        );
        let idle = Breakdown {
            running: 0.0,
            runnable: 0.0,
            lock: 100.0,
            ..Breakdown::default()
        };
        let g = Facts {
            breakdown: Some(&idle),
            ..f.clone()
        };
        assert!(
            verdict(&g).starts_with("idle: 6 of 8 wait on one futex"),
            "{}",
            verdict(&g)
        );
        let one = Facts {
            lock: Some(lock),
            ..facts(&x)
        };
        assert_eq!(
            verdict(&one),
            "waiting on a lock 88 % of the last second (futex 0x7f2a5c000b28, with 5 other threads)"
        );
    }

    #[test]
    fn fd_and_sleep_sentences() {
        let x = Breakdown {
            fd_wait: 99.0,
            running: 1.0,
            ..Breakdown::default()
        };
        let pipe = WaitingOn {
            kind: "fd",
            detail: "read on fd 3: pipe:[123]".into(),
        };
        let f = Facts {
            waiting_on: Some(&pipe),
            ..facts(&x)
        };
        assert_eq!(verdict(&f), "idle: blocked reading a pipe");
        let sock = WaitingOn {
            kind: "fd",
            detail: "accept4 on fd 5: socket:[456] (TCP LISTEN on port 8080)".into(),
        };
        let f = Facts {
            waiting_on: Some(&sock),
            ..facts(&x)
        };
        assert_eq!(
            verdict(&f),
            "idle: waiting for a connection on a socket (TCP LISTEN on port 8080)"
        );
        let s = Breakdown {
            sleep: 95.0,
            running: 5.0,
            ..Breakdown::default()
        };
        let nap = WaitingOn {
            kind: "sleep",
            detail: "sleeping 100 ms at a time".into(),
        };
        let f = Facts {
            waiting_on: Some(&nap),
            ..facts(&s)
        };
        assert_eq!(
            verdict(&f),
            "sleeping 95 % of the last second (sleeping 100 ms at a time)"
        );
        let d = Breakdown {
            io: 60.0,
            running: 40.0,
            ..Breakdown::default()
        };
        assert!(verdict(&facts(&d)).starts_with("in I/O: 60 %"));
    }
}
