//! The explain card: what the selected task is, in plain words, built only from what was
//! measured (stat flags, ids, share groups, state, wchan, the current system call).

use crate::collect::{Group, Resource, ShareReport, Snapshot, SyscallState, TaskKey, Unreadable};
use crate::text::escape;

use super::syscalls;
use super::view::policy_name;

/// `stat` flags of kernel workers that live inside a user thread group (io_uring, vhost).
const PF_IO_WORKER: u32 = 0x10;
const PF_USER_WORKER: u32 = 0x4000;

fn state_words(s: u8) -> &'static str {
    match s {
        b'R' => "R, runnable: running, or ready and waiting for a CPU",
        b'S' => "S, sleeping: waiting for an event",
        b'D' => "D, uninterruptible sleep: usually waiting for disk or other I/O; signals wait too",
        b'I' => "I, idle: a kernel thread with nothing to do",
        b'T' => "T, stopped by a signal (SIGSTOP, Ctrl-Z)",
        b't' => "t, stopped by a debugger (traced)",
        b'Z' => "Z, zombie: it has exited and waits for its parent to collect its status",
        b'X' => "X, dead: being removed",
        b'P' => "P, parked kernel thread",
        _ => "unknown (its stat could not be read)",
    }
}

/// What `a` and `b` share: the resources in the same object, those in different ones, and
/// those that could not be compared, with why (the first reason met).
struct Compared {
    same: Vec<Resource>,
    differ: Vec<Resource>,
    unknown: Vec<Resource>,
    why: Option<crate::collect::share::Why>,
}

fn shared_with(report: &ShareReport, a: TaskKey, b: TaskKey) -> Option<Compared> {
    let (sa, sb) = (report.shares.get(&a)?, report.shares.get(&b)?);
    let mut same = Vec::new();
    let mut differ = Vec::new();
    let mut unknown = Vec::new();
    let mut why = None;
    // IO and SYSVSEM are left out: tasks that both lack the object compare equal.
    for r in [
        Resource::Vm,
        Resource::Files,
        Resource::Fs,
        Resource::Sighand,
    ] {
        match (sa.get(r), sb.get(r)) {
            (Group::Id(x), Group::Id(y)) if x == y => same.push(r),
            (Group::Id(_), Group::Id(_)) => differ.push(r),
            (Group::Unknown(w), _) | (_, Group::Unknown(w)) => {
                unknown.push(r);
                why.get_or_insert(w);
            }
            // One of them has no such object (a kernel thread's VM): nothing to say.
            _ => {}
        }
    }
    Some(Compared {
        same,
        differ,
        unknown,
        why,
    })
}

/// "Whether it shares VM, FILES with its parent is unknown: not permitted: …".
fn unknown_line(
    other: &str,
    unknown: &[Resource],
    why: Option<crate::collect::share::Why>,
) -> String {
    let why = why
        .map(|w| format!(": {}", w.explain()))
        .unwrap_or_default();
    format!(
        "Whether it shares {} with {other} is unknown{why}.",
        names(unknown)
    )
}

fn names(rs: &[Resource]) -> String {
    rs.iter()
        .map(|r| r.name().to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The card for a folded pool row: what a pool is, how its members are spread over the
/// states, then the card of its first member. `None` when the process or pool is gone.
pub fn explain_pool(snap: &Snapshot, tgid: u32, pattern: &str) -> Option<Vec<String>> {
    let process = snap.processes.iter().find(|p| p.tgid == tgid)?;
    let members: Vec<_> = super::view::pool_members(process, pattern).collect();
    let first = members.first()?;
    let pname = process
        .leader()
        .map(|l| escape(&l.comm))
        .unwrap_or_default();
    let mut out = vec![format!(
        "{pattern} ×{}: a pool of threads in process {pname} ({tgid})",
        members.len()
    )];
    let same = members.iter().all(|m| escape(&m.comm) == pattern);
    out.push(if same {
        format!(
            "{} threads with the same name, shown as one row with their CPU summed; Enter unfolds it.",
            members.len()
        )
    } else {
        format!(
            "{} threads whose names differ only by a number (# stands for it), shown as one row with their CPU summed; Enter unfolds it.",
            members.len()
        )
    });
    let mut states: Vec<(u8, usize)> = Vec::new();
    for m in &members {
        match states.iter_mut().find(|(s, _)| *s == m.state) {
            Some((_, n)) => *n += 1,
            None => states.push((m.state, 1)),
        }
    }
    states.sort_by_key(|(s, _)| *s);
    let words: Vec<String> = states
        .iter()
        .map(|(s, n)| format!("{n} {}", char::from(*s)))
        .collect();
    out.push(format!("States: {}.", words.join(", ")));
    if let Some(mut card) = explain(snap, first.key()) {
        out.push(format!("The first of them, {}:", card.remove(0)));
        out.extend(card);
    }
    Some(out)
}

/// The card's lines for task `key`, or `None` when it is not in the snapshot.
pub fn explain(snap: &Snapshot, key: TaskKey) -> Option<Vec<String>> {
    let process = snap
        .processes
        .iter()
        .find(|p| p.tasks.iter().any(|t| t.key() == key))?;
    let t = process.tasks.iter().find(|t| t.key() == key)?;
    let leader = process.leader();
    let pname = leader.map(|l| escape(&l.comm)).unwrap_or_default();
    let name = escape(&t.comm);
    let mut out = vec![format!(
        "{name}: task {} of process {pname} ({})",
        t.tid, t.tgid
    )];
    if t.stat_error.is_some() {
        out.push(
            "Its /proc entry could not be read (permission denied): nothing more is known.".into(),
        );
        return Some(out);
    }
    if t.is_kernel_thread() {
        out.push(
            "A kernel thread: made by kthreadd (PID 2), it runs only in kernel mode and has no user address space."
                .into(),
        );
    } else if t.flags & (PF_IO_WORKER | PF_USER_WORKER) != 0 {
        out.push(format!(
            "A kernel worker inside the user process {pname} (io_uring or vhost): it runs in kernel mode on the process's behalf."
        ));
    } else {
        out.push("A user thread: it runs the program's code in user mode and enters the kernel for system calls.".into());
    }
    if t.is_leader() {
        out.push(format!(
            "The main thread (group leader): its TID is the process id, so getpid() and gettid() both return {}.",
            t.tid
        ));
    } else {
        out.push(format!(
            "A secondary thread: gettid() returns {}, getpid() returns {} (its thread group).",
            t.tid, t.tgid
        ));
        if leader.is_some_and(|l| l.state == b'Z') {
            out.push("Its main thread has exited (zombie) while this one still runs.".into());
        }
    }
    // Read only while an I/O column is shown or sorted on; the columns then show `-`.
    if let Some(Err(e)) = process.io_of(t.tid) {
        let why = match e {
            crate::collect::Unreadable::Denied => {
                "permission denied: reading it needs ptrace access to the task (same user, or root)"
            }
            crate::collect::Unreadable::Absent => {
                "absent: the kernel keeps no per-task I/O accounting, or the task exited"
            }
            crate::collect::Unreadable::Malformed => "malformed",
            crate::collect::Unreadable::NoDescriptors => "out of file descriptors",
        };
        out.push(format!(
            "Its storage I/O (/proc/{}/io) could not be read ({why}): IOR/s and IOW/s show -.",
            t.tid
        ));
    }
    if let Some(report) = snap.shares.as_deref().filter(|r| r.tgid == t.tgid) {
        if let Some(l) = leader.filter(|_| !t.is_leader()) {
            if let Some(Compared {
                same,
                differ,
                unknown,
                why,
            }) = shared_with(report, t.key(), l.key())
            {
                let flags: Vec<&str> = same.iter().map(|r| r.clone_flag()).collect();
                if !same.is_empty() {
                    out.push(format!(
                        "Shares with its main thread: {} (clone with {} | CLONE_THREAD).",
                        names(&same),
                        flags.join(" | ")
                    ));
                }
                if !unknown.is_empty() {
                    out.push(unknown_line("its main thread", &unknown, why));
                }
                if !differ.is_empty() {
                    out.push(format!(
                        "Has its own {}: cloned without that flag, or it called unshare().",
                        names(&differ)
                    ));
                }
            }
        } else if let Some(parent) = report
            .tasks
            .iter()
            .find(|p| p.tgid == process.ppid && p.tgid != t.tgid)
            && let Some(Compared {
                same, unknown, why, ..
            }) = shared_with(report, t.key(), parent.key)
        {
            let pp = snap
                .processes
                .iter()
                .find(|p| p.tgid == process.ppid)
                .and_then(|p| p.leader())
                .map(|l| escape(&l.comm))
                .unwrap_or_default();
            let how = if same.contains(&Resource::Vm) {
                "it shares its parent's address space: made by vfork() or clone(CLONE_VM) without CLONE_THREAD"
            } else if unknown.contains(&Resource::Vm) || (same.is_empty() && !unknown.is_empty()) {
                "how it was made is not known"
            } else if same
                .iter()
                .any(|r| matches!(r, Resource::Files | Resource::Fs | Resource::Sighand))
            {
                "a separate process that still shares some of its parent's objects: made by clone() with those flags"
            } else {
                "a separate process: made by fork() (or clone() without sharing flags)"
            };
            // Resources that could not be compared are unknown, not unshared: "nothing"
            // only when every one was compared.
            let with = match (same.is_empty(), unknown.is_empty()) {
                (true, true) => "nothing".to_string(),
                (true, false) => "nothing known".to_string(),
                (false, _) => names(&same),
            };
            out.push(format!(
                "Parent {pp} ({}): shares {with} with it; {how}.",
                process.ppid
            ));
            if !unknown.is_empty() {
                out.push(unknown_line("its parent", &unknown, why));
            }
            if let Some(mine) = report.shares.get(&t.key()) {
                let (ns, _) =
                    super::shares::namespaces_differing(report, mine, [Some(process.ppid), None]);
                if !ns.is_empty() {
                    let flags: Vec<&str> = ns.iter().map(|r| r.clone_flag()).collect();
                    let names: Vec<&str> = ns.iter().map(|r| r.name()).collect();
                    out.push(format!(
                        "In a new {} namespace, unlike its parent: made with {}.",
                        names.join(", "),
                        flags.join(" | ")
                    ));
                }
            }
        }
    } else if !t.is_kernel_thread() {
        out.push(
            "What it shares with its main thread and parent: shown once comparing (kcmp) is done."
                .into(),
        );
    }
    out.push(format!("State {}.", state_words(t.state)));
    if let Some(w) = t.wait() {
        let wchan = w
            .wchan
            .as_deref()
            .ok()
            .filter(|s| !s.is_empty() && *s != "0");
        match (w.syscall, wchan) {
            (Ok(SyscallState::In(nr)), wchan) => {
                let call = syscalls::name(nr).map_or_else(|| format!("system call {nr}"), str::to_string);
                let meaning = syscalls::meaning(&call).map(|m| format!(": {m}")).unwrap_or_default();
                let inside = wchan.map(|w| format!(" (in the kernel at {w})")).unwrap_or_default();
                out.push(format!("Blocked in {call}{inside}{meaning}."));
            }
            (Ok(SyscallState::Running), _) => out.push("On a CPU or about to be: not in a blocking system call.".into()),
            (Ok(SyscallState::NotInSyscall), Some(w)) | (Err(_), Some(w)) => {
                out.push(format!("Waits in the kernel at {w}."));
            }
            (Err(Unreadable::Denied), None) => out.push(
                "What it waits in is not readable: /proc/TID/syscall needs ptrace access (root, or your own task).".into(),
            ),
            _ => {}
        }
    }
    let allowed = t
        .detail()
        .and_then(|d| d.as_ref().ok())
        .map(|d| format!("; may run on CPUs {}", d.cpus_allowed))
        .unwrap_or_default();
    out.push(format!(
        "Last on CPU {}{allowed}; policy {}, nice {}, priority {}.",
        t.processor.map_or("?".into(), |c| c.to_string()),
        policy_name(u32::from(t.policy)),
        t.nice,
        t.priority
    ));
    Some(out)
}
