//! What tasks share: the kernel objects a clone(2) flag decides (address space, fd table,
//! fs info, signal handlers, IO context, SysV semaphore undo list) compared with kcmp(2),
//! and the namespaces compared by their inode numbers.
//!
//! kcmp orders objects by their kernel address, so tasks are grouped by sorting them with
//! it rather than by comparing every pair. Two traps (see shared notes): tasks that both
//! LACK an object compare equal (kernel threads all "share" a NULL VM, which we label
//! `None`), and kcmp needs ptrace access to both tasks, so another user's tasks are
//! `Unknown(Denied)` rather than guessed.

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Serialize;

use super::TaskKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Vm,
    Files,
    Fs,
    Sighand,
    Io,
    Sysvsem,
    Mnt,
    Pid,
    Net,
    Uts,
    Ipc,
    User,
    Cgroup,
    Time,
}

impl Resource {
    pub const ALL: [Resource; 14] = [
        Resource::Vm,
        Resource::Files,
        Resource::Fs,
        Resource::Sighand,
        Resource::Io,
        Resource::Sysvsem,
        Resource::Mnt,
        Resource::Pid,
        Resource::Net,
        Resource::Uts,
        Resource::Ipc,
        Resource::User,
        Resource::Cgroup,
        Resource::Time,
    ];

    /// At most four characters, for the share pane's columns.
    pub fn short(self) -> &'static str {
        match self {
            Resource::Vm => "VM",
            Resource::Files => "FILE",
            Resource::Fs => "FS",
            Resource::Sighand => "SIG",
            Resource::Io => "IO",
            Resource::Sysvsem => "SEM",
            Resource::Cgroup => "cgrp",
            other => other.name(),
        }
    }

    /// The name in JSON and on screen; for namespaces, the file under /proc/TID/ns/.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Vm => "vm",
            Resource::Files => "files",
            Resource::Fs => "fs",
            Resource::Sighand => "sighand",
            Resource::Io => "io",
            Resource::Sysvsem => "sysvsem",
            Resource::Mnt => "mnt",
            Resource::Pid => "pid",
            Resource::Net => "net",
            Resource::Uts => "uts",
            Resource::Ipc => "ipc",
            Resource::User => "user",
            Resource::Cgroup => "cgroup",
            Resource::Time => "time",
        }
    }

    /// The clone(2) flag that makes a child share it.
    pub fn clone_flag(self) -> &'static str {
        match self {
            Resource::Vm => "CLONE_VM",
            Resource::Files => "CLONE_FILES",
            Resource::Fs => "CLONE_FS",
            Resource::Sighand => "CLONE_SIGHAND",
            Resource::Io => "CLONE_IO",
            Resource::Sysvsem => "CLONE_SYSVSEM",
            // Namespaces are shared unless a CLONE_NEW* flag asks for a new one.
            Resource::Mnt => "CLONE_NEWNS",
            Resource::Pid => "CLONE_NEWPID",
            Resource::Net => "CLONE_NEWNET",
            Resource::Uts => "CLONE_NEWUTS",
            Resource::Ipc => "CLONE_NEWIPC",
            Resource::User => "CLONE_NEWUSER",
            Resource::Cgroup => "CLONE_NEWCGROUP",
            Resource::Time => "CLONE_NEWTIME",
        }
    }

    /// kcmp(2) type (include/uapi/linux/kcmp.h); `None` for namespaces. The libc crate's
    /// KCMP_* constants are FreeBSD's, hence our own.
    fn kcmp_type(self) -> Option<libc::c_int> {
        Some(match self {
            Resource::Vm => 1,
            Resource::Files => 2,
            Resource::Fs => 3,
            Resource::Sighand => 4,
            Resource::Io => 5,
            Resource::Sysvsem => 6,
            _ => return None,
        })
    }

    pub fn is_namespace(self) -> bool {
        self.kcmp_type().is_none()
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// kcmp or the ns link needs ptrace access to the task (another user's, or an LSM).
    Denied,
    /// This kernel has no kcmp (CONFIG_KCMP off) or no such namespace type.
    Unsupported,
    /// The task exited while we compared.
    Gone,
}

impl Why {
    pub fn explain(self) -> &'static str {
        match self {
            Why::Denied => {
                "not permitted: comparing needs ptrace access to the task (root, or your own tasks)"
            }
            Why::Unsupported => "this kernel does not provide it (no kcmp, or no such namespace)",
            Why::Gone => "the task exited while it was compared",
        }
    }
}

/// Which group a task is in for one resource. Equal `Id`s mean the same kernel object
/// (for namespaces, the id is the namespace's inode number, as `ls -l /proc/PID/ns` shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Id(u64),
    /// The task has no such object (a kernel thread's address space).
    None,
    Unknown(Why),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shares {
    groups: [Group; 14],
}

impl Shares {
    pub fn get(&self, r: Resource) -> Group {
        self.groups[r.index()]
    }

    /// Builds one from a group per resource (for fixtures and tests).
    pub fn from_fn(f: impl Fn(Resource) -> Group) -> Shares {
        Shares {
            groups: Resource::ALL.map(f),
        }
    }
}

/// One task to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskRef {
    pub key: TaskKey,
    pub tgid: u32,
    pub kernel: bool,
    /// A zombie has no address space left: compared through the VM it lacks, it would look
    /// like a kernel thread.
    pub zombie: bool,
}

impl TaskRef {
    pub fn of(t: &super::TaskInfo) -> TaskRef {
        TaskRef {
            key: t.key(),
            tgid: t.tgid,
            kernel: t.is_kernel_thread(),
            zombie: t.state == b'Z',
        }
    }
}

/// kcmp(pid1, pid2, type): the kernel's order of the two tasks' objects.
fn kcmp(a: u32, b: u32, ty: libc::c_int) -> Result<Ordering, Why> {
    // SAFETY: kcmp takes five integer arguments and touches no memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            a as libc::pid_t,
            b as libc::pid_t,
            ty,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    match r {
        0 => Ok(Ordering::Equal),
        1 => Ok(Ordering::Less),
        2 => Ok(Ordering::Greater),
        _ => Err(
            match std::io::Error::last_os_error().raw_os_error().unwrap_or(0) {
                libc::EPERM | libc::EACCES => Why::Denied,
                libc::ENOSYS => Why::Unsupported,
                _ => Why::Gone,
            },
        ),
    }
}

fn namespace_id(proc_root: &Path, t: &TaskRef, r: Resource) -> Group {
    let path = proc_root
        .join(t.tgid.to_string())
        .join("task")
        .join(t.key.tid.to_string())
        .join("ns")
        .join(r.name());
    match std::fs::metadata(path) {
        Ok(m) => Group::Id(m.ino()),
        Err(e) => Group::Unknown(match e.kind() {
            std::io::ErrorKind::PermissionDenied => Why::Denied,
            std::io::ErrorKind::NotFound if t.kernel => Why::Unsupported,
            std::io::ErrorKind::NotFound => Why::Gone,
            _ => Why::Unsupported,
        }),
    }
}

/// Groups `tasks` for every resource. Group ids are consistent across all given tasks
/// (so across processes too) and are only meaningful within one call.
pub fn compute(proc_root: &Path, tasks: &[TaskRef]) -> HashMap<TaskKey, Shares> {
    let mut out: HashMap<TaskKey, Shares> = tasks
        .iter()
        .map(|t| {
            (
                t.key,
                Shares {
                    groups: [Group::Unknown(Why::Unsupported); 14],
                },
            )
        })
        .collect();
    // One probe per task: comparing a task with itself succeeds exactly when we may
    // compare it at all.
    let mut usable = Vec::with_capacity(tasks.len());
    for t in tasks {
        match kcmp(t.key.tid, t.key.tid, 1) {
            Ok(_) => usable.push(*t),
            Err(why) => {
                if let Some(s) = out.get_mut(&t.key) {
                    for r in Resource::ALL.iter().filter(|r| !r.is_namespace()) {
                        s.groups[r.index()] = Group::Unknown(why);
                    }
                }
            }
        }
    }
    for r in Resource::ALL {
        if r.is_namespace() {
            for t in tasks {
                let g = namespace_id(proc_root, t, r);
                if let Some(s) = out.get_mut(&t.key) {
                    s.groups[r.index()] = g;
                }
            }
            continue;
        }
        let Some(ty) = r.kcmp_type() else { continue };
        let mut members: Vec<TaskRef> = Vec::new();
        for t in &usable {
            if r == Resource::Vm && (t.kernel || t.zombie) {
                if let Some(s) = out.get_mut(&t.key) {
                    s.groups[r.index()] = Group::None;
                }
            } else {
                members.push(*t);
            }
        }
        group_by_kcmp(&members, r, ty, &mut out);
    }
    out
}

/// Groups `members` (tasks of many processes) by the object `ty` names, writing `r`'s
/// group into `out`. Threads of one process almost always share every object, so each
/// task is compared with its process's first task (one kcmp each), and only the first
/// tasks and the exceptions are sorted: at 20,000 threads in a few processes, sorting them
/// all took about 1.07 million kcmp calls (3.9-5.1 s for `--json`). The groups, and their
/// ids (numbered in the kernel's order of the objects), are those sorting them all gives:
/// `compute_sorting_all` keeps that way for the tests that say so.
fn group_by_kcmp(
    members: &[TaskRef],
    r: Resource,
    ty: libc::c_int,
    out: &mut HashMap<TaskKey, Shares>,
) {
    // Each task's representative: itself (sorted below) or its process's first task.
    let mut first_of: HashMap<u32, usize> = HashMap::new();
    let mut rep: Vec<Option<usize>> = vec![None; members.len()];
    let mut sorted: Vec<usize> = Vec::new();
    for (i, t) in members.iter().enumerate() {
        match first_of.get(&t.tgid) {
            Some(&f) if kcmp(members[f].key.tid, t.key.tid, ty) == Ok(Ordering::Equal) => {
                rep[i] = Some(f);
            }
            Some(_) => sorted.push(i),
            None => {
                first_of.insert(t.tgid, i);
                sorted.push(i);
            }
        }
    }
    let mut ids = sort_into_groups(members, &mut sorted, ty);
    if rep
        .iter()
        .flatten()
        .any(|&f| matches!(ids[f], Group::Unknown(_)))
    {
        // A process's first task exited while compared: the tasks that matched it are
        // grouped by sorting them all after all (rare: it costs what it used to).
        let mut all: Vec<usize> = (0..members.len()).collect();
        ids = sort_into_groups(members, &mut all, ty);
        rep.iter_mut().for_each(|r| *r = None);
    }
    for (i, t) in members.iter().enumerate() {
        let g = ids[rep[i].unwrap_or(i)];
        if let Some(s) = out.get_mut(&t.key) {
            s.groups[r.index()] = g;
        }
    }
}

/// Sorts `order` (indices into `members`) by the kernel's order of their objects and gives
/// each a group: equal neighbours share an id, numbered from 1 in that order. A task that
/// exited mid-sort may have left its neighbours' order uncertain: it gets `Unknown`
/// rather than a group to trust. Returns a group per index of `members` (those not in
/// `order` are left `Unknown(Unsupported)`).
fn sort_into_groups(members: &[TaskRef], order: &mut [usize], ty: libc::c_int) -> Vec<Group> {
    let failed: Cell<Option<(u32, Why)>> = Cell::new(None);
    // A task exiting mid-sort makes kcmp fail and the order inconsistent; std's sort
    // may panic on that, so a merge sort that cannot is used.
    merge_sort_by(order, |&a, &b| {
        let (a, b) = (members[a].key.tid, members[b].key.tid);
        kcmp(a, b, ty).unwrap_or_else(|why| {
            // Blame the one that fails alone (gone), not an innocent neighbour: the
            // neighbour may stand for a whole process.
            let culprit = if kcmp(a, a, ty).is_err() || kcmp(b, b, ty).is_ok() {
                a
            } else {
                b
            };
            failed.set(Some((culprit, why)));
            Ordering::Equal
        })
    });
    let mut groups = vec![Group::Unknown(Why::Unsupported); members.len()];
    let mut id = 0u64;
    let mut prev: Option<u32> = None;
    for &i in order.iter() {
        let tid = members[i].key.tid;
        let same = match prev {
            Some(p) => kcmp(p, tid, ty) == Ok(Ordering::Equal),
            None => false,
        };
        if !same {
            id += 1;
        }
        prev = Some(tid);
        groups[i] = Group::Id(id);
    }
    if let Some((tid, why)) = failed.get()
        && let Some(&i) = order.iter().find(|&&i| members[i].key.tid == tid)
    {
        groups[i] = Group::Unknown(why);
    }
    groups
}

/// `compute` as it was before threads were compared with their process's first task: every
/// task sorted by kcmp. Kept so tests can check that both give the same groups.
#[doc(hidden)]
pub fn compute_sorting_all(proc_root: &Path, tasks: &[TaskRef]) -> HashMap<TaskKey, Shares> {
    let mut out = compute(proc_root, tasks);
    for r in Resource::ALL {
        let Some(ty) = r.kcmp_type() else { continue };
        let members: Vec<TaskRef> = tasks
            .iter()
            .filter(|t| {
                out.get(&t.key)
                    .is_some_and(|s| matches!(s.get(r), Group::Id(_)))
            })
            .copied()
            .collect();
        let mut order: Vec<usize> = (0..members.len()).collect();
        let groups = sort_into_groups(&members, &mut order, ty);
        for (t, g) in members.iter().zip(groups) {
            if let Some(s) = out.get_mut(&t.key) {
                s.groups[r.index()] = g;
            }
        }
    }
    out
}

/// A stable bottom-up merge sort that terminates and never panics whatever `cmp` answers,
/// consistent or not (with a consistent `cmp` it sorts like `sort_by`).
pub fn merge_sort_by<T: Copy>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    let mut buf: Vec<T> = v.to_vec();
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if cmp(&v[j], &v[i]) == Ordering::Less {
                    buf[k] = v[j];
                    j += 1;
                } else {
                    buf[k] = v[i];
                    i += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
            k += mid - i;
            buf[k..k + (end - j)].copy_from_slice(&v[j..end]);
            start = end;
        }
        v.copy_from_slice(&buf);
        width *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::merge_sort_by;
    use std::cmp::Ordering;

    #[test]
    fn sorts_and_survives_an_inconsistent_comparator() {
        let mut v = [5, 3, 9, 1, 1, 7, 2, 8, 0, 6, 4];
        merge_sort_by(&mut v, |a, b| a.cmp(b));
        assert_eq!(v, [0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // An order that is no order at all: it must still terminate with every element.
        let mut w: Vec<u32> = (0..200).collect();
        let mut calls = 0u32;
        merge_sort_by(&mut w, |a, b| {
            calls += 1;
            match (a ^ b ^ calls) % 3 {
                0 => Ordering::Less,
                1 => Ordering::Equal,
                _ => Ordering::Greater,
            }
        });
        let mut sorted = w.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..200).collect::<Vec<_>>());
        let mut empty: [u8; 0] = [];
        merge_sort_by(&mut empty, |a, b| a.cmp(b));
    }
}

/// The share pane's data: groups for the selected process's tasks and for one
/// representative of every other process (so sharing across processes shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareReport {
    pub tgid: u32,
    /// Every compared task, the selected process's first.
    pub tasks: Vec<TaskRef>,
    pub shares: HashMap<TaskKey, Shares>,
}

/// The tasks a share report compares: all of `tgid`'s, and the first task of every other
/// process (a thread group shares its VM and signal handlers; its other objects almost
/// always too, and comparing every thread of the machine would cost far more).
pub fn report_tasks(snap: &super::Snapshot, tgid: u32) -> Vec<TaskRef> {
    let mut out: Vec<TaskRef> = snap
        .processes
        .iter()
        .filter(|p| p.tgid == tgid)
        .flat_map(|p| {
            p.tasks
                .iter()
                .filter(|t| t.stat_error.is_none())
                .map(TaskRef::of)
        })
        .collect();
    for p in snap.processes.iter().filter(|p| p.tgid != tgid) {
        // A zombie leader has no mm: a live thread stands for the group.
        if let Some(t) = p
            .tasks
            .iter()
            .find(|t| t.stat_error.is_none() && t.state != b'Z')
            .or_else(|| p.tasks.first())
        {
            out.push(TaskRef::of(t));
        }
    }
    out
}
