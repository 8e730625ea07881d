//! Views about the selection that the panes show: the explain card's text and the share
//! matrix. Computed once when the data or the selection changes (not per frame: a frame
//! used to build each of them about five times, for the layout's heights, the scroll
//! limits and the draw), and only while the pane that shows them is open.

use crate::collect::{Snapshot, TaskKey};

use super::Model;
use super::cgroups::{cpuset_lines, explain_lines, groups_of_rows, throttle_hint};

use super::explain::{explain, explain_pool};
use super::shares::{ShareView, share_view};
use super::view::{Row, RowKind};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// The explain card for the selected row (its first line is the title); `None`: no
    /// card (nothing selected, or it is gone).
    pub explain: Option<Vec<String>>,
    /// The share matrix of the selected process, once the collector has compared it.
    pub shares: Option<ShareView>,
    /// What the header and the CPU pane say about the shown rows' cgroups: computed when
    /// the rows change, kept when only the selection does.
    pub cgroups: CgroupView,
    /// The why pane's lines for the selected process, while the pane is open.
    pub why: Option<WhyView>,
}

/// The why pane: the selected process's pools and threads with their breakdowns, its
/// lock groups and the fds its threads wait on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhyView {
    pub title: String,
    pub lines: Vec<WhyLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WhyLine {
    Text(String),
    /// A stacked bar: its label, the breakdown (`None`: unknown) and the verdict.
    Bar {
        label: String,
        breakdown: Option<super::why::Breakdown>,
        verdict: String,
    },
}

/// The why pane's view of the process `tgid`; `None` when it is gone.
pub fn why_view(model: &Model, tgid: u32) -> Option<WhyView> {
    let p = model.current.processes.iter().find(|p| p.tgid == tgid)?;
    let pname = p
        .leader()
        .map(|l| crate::text::escape(&l.comm))
        .unwrap_or_default();
    let mut lines = Vec::new();
    let Some(pw) = model.why.processes.get(&tgid) else {
        lines.push(WhyLine::Text(
            "unknown: not sampled in the last interval".into(),
        ));
        return Some(WhyView {
            title: format!("why: {pname} ({tgid})"),
            lines,
        });
    };
    lines.push(WhyLine::Bar {
        label: "process".into(),
        breakdown: pw.breakdown,
        verdict: pw.verdict.clone(),
    });
    for pool in &pw.pools {
        lines.push(WhyLine::Bar {
            label: format!("{} ({})", pool.label, pool.tids.len()),
            breakdown: pool.breakdown,
            verdict: pool.verdict.clone(),
        });
    }
    // A "group" of one thread is a thread waiting on a futex: its own line says so.
    for l in pw.locks.iter().filter(|l| l.waiters.len() >= 2) {
        let holder = l
            .busiest
            .as_ref()
            .map(|(tid, name)| format!("; {name} ({tid}) on a CPU most"))
            .unwrap_or_default();
        lines.push(WhyLine::Text(format!(
            "lock futex {}: {} thread(s) wait{holder}",
            l.futex,
            l.waiters.len()
        )));
    }
    for t in &p.tasks {
        if let Some(w) = model.why.tasks.get(&t.key())
            && let Some(on) = w.waiting_on.as_ref().filter(|o| o.kind == "fd")
        {
            lines.push(WhyLine::Text(format!(
                "{} ({}) waits on {}",
                crate::text::escape(&t.comm),
                t.tid,
                on.detail
            )));
        }
    }
    for t in &p.tasks {
        let Some(w) = model.why.tasks.get(&t.key()) else {
            continue;
        };
        lines.push(WhyLine::Bar {
            label: format!("{} {}", t.tid, crate::text::escape(&t.comm)),
            breakdown: w.breakdown,
            verdict: w.verdict.clone(),
        });
    }
    // Where the off-CPU split came from, as JSON's `breakdown_source` says per task.
    use crate::collect::waits::Source;
    let sources: Vec<Source> = p
        .tasks
        .iter()
        .filter_map(|t| model.why.tasks.get(&t.key()).and_then(|w| w.source))
        .collect();
    let by = match (
        sources.contains(&Source::Events),
        sources.contains(&Source::Sampled),
    ) {
        (true, true) => ", off-CPU split: events + sampled",
        (true, false) => ", off-CPU split: events",
        (false, true) => ", off-CPU split: sampled",
        (false, false) => "",
    };
    Some(WhyView {
        title: format!("why: {pname} ({tgid}){by}"),
        lines,
    })
}

/// The cgroups of the rows shown, in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CgroupView {
    /// The header's hint when a shown cgroup was throttled in the last interval.
    pub hint: Option<String>,
    /// For the CPU pane: which shown cgroups' cpusets cover each CPU, when not all do.
    pub cpusets: Vec<String>,
}

impl CgroupView {
    /// From the rows shown (those the filter keeps, folded or not: a process row stands
    /// for all its tasks).
    pub fn compute(model: &Model, rows: &[Row]) -> Self {
        let snap = &model.current;
        if snap.cgroups.groups.is_empty() {
            return CgroupView::default();
        }
        let shown = groups_of_rows(snap, rows);
        CgroupView {
            hint: throttle_hint(snap, &model.cgroups, &shown),
            cpusets: cpuset_lines(snap, &shown),
        }
    }
}

/// The explain card's lines about the cgroup(s) of what `row` stands for (a task, a
/// pool's members, a process's tasks): its cgroup, the limit, and whether it was
/// throttled in the last interval, with the numbers.
pub fn cgroup_card(model: &Model, row: &Row) -> Vec<String> {
    let snap = &model.current;
    let tids: Vec<u32> = match row.kind {
        RowKind::Thread => vec![row.tid],
        RowKind::Cgroup => return Vec::new(),
        RowKind::Pool | RowKind::Process => {
            let Some(p) = snap.processes.iter().find(|p| p.tgid == row.tgid) else {
                return Vec::new();
            };
            if row.kind == RowKind::Pool {
                super::view::pool_members(p, &row.name)
                    .map(|t| t.tid)
                    .collect()
            } else {
                p.tasks.iter().map(|t| t.tid).collect()
            }
        }
    };
    explain_lines(
        snap,
        &model.cgroups,
        &model.rates,
        model.interval_secs(),
        row.tgid,
        &tids,
    )
}

impl Derived {
    /// What the open panes show about `selected` in `snap`.
    pub fn compute(
        snap: &Snapshot,
        selected: Option<&Row>,
        explain_open: bool,
        shares_open: bool,
        utc_offset_secs: i64,
    ) -> Self {
        let explain = explain_open
            .then(|| match selected {
                Some(r) if r.kind == RowKind::Pool => explain_pool(snap, r.tgid, &r.name),
                Some(r) => explain(snap, r.key).map(|mut card| {
                    lead_with_events(&mut card, snap, r.key, utc_offset_secs);
                    card
                }),
                None => None,
            })
            .flatten();
        let shares = shares_open
            .then(|| {
                let report = snap.shares.as_deref()?;
                (Some(report.tgid) == selected.map(|r| r.tgid)).then(|| share_view(snap, report))
            })
            .flatten();
        Derived {
            explain,
            shares,
            cgroups: CgroupView::default(),
            why: None,
        }
    }
}

/// The scheduling events' sentence ("waited up to 38 ms for a CPU at 12:03:41 (p99 4.1 ms
/// over 1,240 waits); usually woken by `acceptor` (4411)") leads the card, right under its
/// title: it is the one line /proc cannot give.
fn lead_with_events(card: &mut Vec<String>, snap: &Snapshot, key: TaskKey, utc_offset_secs: i64) {
    if snap.events.tick().is_none() {
        return;
    }
    let Some(t) = snap
        .processes
        .iter()
        .flat_map(|p| p.tasks.iter())
        .find(|t| t.key() == key)
    else {
        return;
    };
    let Some(line) = super::events::of_task(&snap.events, t)
        .and_then(|e| super::events::explain(&e, utc_offset_secs))
    else {
        return;
    };
    let mut line = line;
    if let Some(first) = line.get(..1) {
        line = first.to_uppercase() + &line[1..];
    }
    card.insert(1.min(card.len()), format!("{line}."));
}

/// The verdict for what `row` stands for (a task, a pool, a process) leads the explain
/// card, right under its title: the sum of the facts below it, in one sentence. Nothing
/// when the row was not analysed (no wait sample and no events in the interval).
pub fn lead_with_verdict(card: &mut Vec<String>, model: &Model, row: &Row) {
    let why = &model.why;
    let verdict = match row.kind {
        RowKind::Pool => why
            .processes
            .get(&row.tgid)
            .and_then(|p| p.pools.iter().find(|x| x.label == row.name))
            .map(|x| &x.verdict),
        RowKind::Process => why.processes.get(&row.tgid).map(|p| &p.verdict),
        RowKind::Thread => why.tasks.get(&row.key).map(|t| &t.verdict),
        _ => None,
    };
    if let Some(v) = verdict {
        card.insert(1.min(card.len()), format!("Why: {v}."));
    }
}
