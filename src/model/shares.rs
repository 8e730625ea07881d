//! The share pane's model: for one process, which sharing group each task is in for every
//! resource (as marks, `A` = the group its first task is in), rows with identical marks
//! collapsed, and the tasks of other processes that share an object with it.

use std::collections::HashMap;

use crate::collect::{Group, Resource, ShareReport, Snapshot, TaskKey};
use crate::text::escape;

/// A cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The n-th distinct object among the process's tasks (0 = `A`).
    Group(u8),
    /// No such object (a kernel thread's address space).
    None,
    Unknown,
}

impl Mark {
    pub fn symbol(self) -> String {
        match self {
            Mark::Group(n) if n < 26 => ((b'A' + n) as char).to_string(),
            Mark::Group(n) => format!("{n}"),
            Mark::None => "-".into(),
            Mark::Unknown => "?".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// The tasks with exactly these marks, in TID order.
    pub tids: Vec<u32>,
    /// "main (1234)" for one task, "57 threads" for many.
    pub label: String,
    pub marks: Vec<Mark>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outside {
    pub tid: u32,
    pub tgid: u32,
    pub name: String,
    /// What it shares with the process, by resource.
    pub shares: Vec<Resource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShareView {
    pub rows: Vec<MatrixRow>,
    /// Every task has the same (known) marks: "57 threads share everything".
    pub all_alike: bool,
    /// Why some cells are unknown, in plain words (one line).
    pub unknown: Option<String>,
    pub outside: Vec<Outside>,
    /// Namespaces this process does not share with its parent (or, when the parent's are
    /// unreadable, with PID 1), and whose they were compared with.
    pub own_namespaces: Vec<Resource>,
    pub namespaces_compared_with: Option<u32>,
}

/// Resources compared across processes. IO and SYSVSEM are left out: two tasks that both
/// lack an io_context or undo list compare equal (NULL == NULL), which would list half the
/// machine as "sharing".
pub const ACROSS: [Resource; 4] = [
    Resource::Vm,
    Resource::Files,
    Resource::Fs,
    Resource::Sighand,
];

pub fn share_view(snap: &Snapshot, report: &ShareReport) -> ShareView {
    let mine: Vec<&crate::collect::TaskRef> = report
        .tasks
        .iter()
        .filter(|t| t.tgid == report.tgid)
        .collect();
    let names: HashMap<TaskKey, String> =
        snap.tasks().map(|t| (t.key(), escape(&t.comm))).collect();
    let mut unknown_why = None;
    // Marks per resource, in order of first appearance among the process's tasks.
    let mut letters: Vec<HashMap<Group, u8>> = vec![HashMap::new(); Resource::ALL.len()];
    let mut per_task: Vec<(u32, Vec<Mark>)> = Vec::new();
    for t in &mine {
        let Some(sh) = report.shares.get(&t.key) else {
            continue;
        };
        let marks = Resource::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| match sh.get(*r) {
                Group::Id(_) => {
                    let g = sh.get(*r);
                    let next = letters[i].len() as u8;
                    Mark::Group(*letters[i].entry(g).or_insert(next))
                }
                Group::None => Mark::None,
                Group::Unknown(why) => {
                    unknown_why.get_or_insert(why);
                    Mark::Unknown
                }
            })
            .collect();
        per_task.push((t.key.tid, marks));
    }
    per_task.sort_by_key(|(tid, _)| *tid);
    let mut rows: Vec<MatrixRow> = Vec::new();
    for (tid, marks) in per_task {
        match rows.iter_mut().find(|r| r.marks == marks) {
            Some(r) => r.tids.push(tid),
            None => rows.push(MatrixRow {
                tids: vec![tid],
                label: String::new(),
                marks,
            }),
        }
    }
    let name_of = |tid: u32| {
        mine.iter()
            .find(|t| t.key.tid == tid)
            .and_then(|t| names.get(&t.key))
            .cloned()
            .unwrap_or_default()
    };
    for r in &mut rows {
        r.label = match r.tids.as_slice() {
            [one] => format!("{} ({one})", name_of(*one)),
            many => format!("{} threads", many.len()),
        };
    }
    // Others sharing an object with any of the process's tasks.
    let mut outside: Vec<Outside> = Vec::new();
    for other in report.tasks.iter().filter(|t| t.tgid != report.tgid) {
        let Some(osh) = report.shares.get(&other.key) else {
            continue;
        };
        let shared: Vec<Resource> = ACROSS
            .iter()
            .copied()
            .filter(|r| {
                matches!(osh.get(*r), Group::Id(_))
                    && mine.iter().any(|t| {
                        report
                            .shares
                            .get(&t.key)
                            .is_some_and(|s| s.get(*r) == osh.get(*r))
                    })
            })
            .collect();
        if !shared.is_empty() {
            outside.push(Outside {
                tid: other.key.tid,
                tgid: other.tgid,
                name: names.get(&other.key).cloned().unwrap_or_default(),
                shares: shared,
            });
        }
    }
    outside.sort_by_key(|o| o.tid);
    let lead = mine.first().and_then(|t| report.shares.get(&t.key));
    let ppid = snap
        .processes
        .iter()
        .find(|p| p.tgid == report.tgid)
        .map(|p| p.ppid);
    let (own_namespaces, namespaces_compared_with) = lead
        .map(|l| namespaces_differing(report, l, [ppid, Some(1)]))
        .unwrap_or_default();
    ShareView {
        // Only a claim when it was measured: unknown cells prove nothing.
        all_alike: rows.len() == 1 && rows[0].marks.iter().all(|m| *m != Mark::Unknown),
        rows,
        unknown: unknown_why.map(|w| w.explain().to_string()),
        outside,
        own_namespaces,
        namespaces_compared_with,
    }
}

/// The namespaces `lead` is not in, compared with the first of `others` (process ids) whose
/// namespaces could be read.
pub fn namespaces_differing(
    report: &ShareReport,
    lead: &crate::collect::Shares,
    others: [Option<u32>; 2],
) -> (Vec<Resource>, Option<u32>) {
    for tgid in others
        .into_iter()
        .flatten()
        .filter(|t| *t != report.tgid && *t != 0)
    {
        let Some(o) = report
            .tasks
            .iter()
            .find(|t| t.tgid == tgid)
            .and_then(|t| report.shares.get(&t.key))
        else {
            continue;
        };
        let readable = Resource::ALL.iter().filter(|r| r.is_namespace()).all(|r| {
            !matches!(o.get(*r), Group::Unknown(_)) || matches!(lead.get(*r), Group::Unknown(_))
        });
        if !readable {
            continue;
        }
        let differ = Resource::ALL
            .iter()
            .copied()
            .filter(|r| r.is_namespace())
            .filter(|r| matches!((o.get(*r), lead.get(*r)), (Group::Id(a), Group::Id(b)) if a != b))
            .collect();
        return (differ, Some(tgid));
    }
    (Vec::new(), None)
}
