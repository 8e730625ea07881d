//! Thread pools as programs name them: which threads of a process are one pool, and the
//! label its folded row shows.
//!
//! The rule (checked on the name sets of Java, Go, tokio, .NET, Python, nginx, PostgreSQL
//! and glibc's default in `tests/pools.rs`):
//!
//! 1. Names are compared by their text with every run of digits set aside: `pool-1-thread-3`
//!    and `pool-2-thread-12` have the same text around their numbers, `GC Thread#0` another.
//! 2. Among names with the same text, the *member number* is the last run of digits that
//!    gives every thread its own value once the other numbers are held fixed: in
//!    `pool-N-thread-M` that is M (N names the executor), in `ThreadPoolExecutor-0_3` the 3.
//!    A number that repeats (`ForkJoinPool-1-` four times, where the kernel cut
//!    `ForkJoinPool-1-worker-N` to 15 bytes) numbers nothing, except where the name fills
//!    the 15 bytes and ends in it: `pool-2-thread-10..12` all read `pool-2-thread-1`, and
//!    are still members of `pool-2-thread-#`.
//! 3. A number glued to a letter (`C1`, `C2`, `G1`, `python3`) names what the thread is,
//!    not which member it is: it is a member number only when at least three different
//!    values occur (`worker1`, `worker2`, `worker3`). So `C1 CompilerThre` and
//!    `C2 CompilerThre` are two threads, not a pool.
//! 4. Threads whose names agree on everything but the member number are one pool; its
//!    label keeps every shared digit and shows `#` only for the member number
//!    (`pool-1-thread-# ×8` beside `pool-2-thread-# ×12`). Identical names are a pool under
//!    their own name (`python3 ×20`, `tokio-runtime-w ×8`). Names this leaves alone are
//!    grouped again among themselves (five single-thread executors `pool-1-thread-1` …
//!    `pool-5-thread-1` are `pool-#-thread-1 ×5`).
//! 5. The main thread (TID = TGID) is never a pool member: it is the process's own thread
//!    even when the others share its name (Go, nginx, glibc's default).
//!
//! Pools form in processes with at least [`POOL_MIN_THREADS`] threads: below that every
//! thread fits on screen anyway (a Python program with a 4-worker executor lists 5 rows),
//! while every JVM has 20 or more threads, so its executors fold whatever their size.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hasher;
use std::rc::Rc;

use crate::collect::parse::parse_uint;
use crate::collect::{ProcessInfo, TaskInfo, TaskKey};
use crate::text::escape;

/// Processes with at least this many threads show their pools as folded rows; smaller
/// ones list every thread. A bare JVM already has 20-25 threads (GC, compiler, VM
/// threads), so an executor of any size in a JVM is folded.
pub const POOL_MIN_THREADS: usize = 16;

/// Bytes the kernel keeps of a thread's name (TASK_COMM_LEN less the NUL).
const COMM_MAX: usize = 15;

/// Stands for a run of digits in a name's skeleton: a NUL cannot occur in an escaped name.
const DIGITS: char = '\0';

/// One group of names: a pool when it has two or more members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The shared name, with `#` for the member number if the names have one.
    pub label: String,
    /// Indices into the names given to [`group`], in their order.
    pub members: Vec<usize>,
}

/// A name split into the text around its numbers and the numbers.
struct Split<'a> {
    skeleton: String,
    numbers: Vec<&'a str>,
    /// The name fills the kernel's 15 bytes and ends in a number, which may have been cut:
    /// `pool-2-thread-10`, `-11` and `-12` all read `pool-2-thread-1`.
    cut: bool,
}

fn split(name: &str) -> Split<'_> {
    let mut skeleton = String::with_capacity(name.len());
    // Sized exactly: a pushed-to empty Vec starts at room for four (64 bytes), 640 KB for a
    // 10,000-thread pool where one number each needs 160.
    let runs = name
        .as_bytes()
        .iter()
        .enumerate()
        .filter(|&(i, b)| {
            b.is_ascii_digit() && (i == 0 || !name.as_bytes()[i - 1].is_ascii_digit())
        })
        .count();
    let mut numbers = Vec::with_capacity(runs);
    let mut start = None;
    for (i, c) in name.char_indices() {
        if c.is_ascii_digit() {
            if start.is_none() {
                start = Some(i);
                skeleton.push(DIGITS);
            }
        } else {
            if let Some(s) = start.take() {
                numbers.push(&name[s..i]);
            }
            skeleton.push(c);
        }
    }
    if let Some(s) = start {
        numbers.push(&name[s..]);
    }
    let cut = name.len() == COMM_MAX && name.ends_with(|c: char| c.is_ascii_digit());
    Split {
        skeleton,
        numbers,
        cut,
    }
}

/// Whether the `j`th run of digits in `skeleton` follows a letter (`C1`, `python3`).
fn glued(skeleton: &str, j: usize) -> bool {
    let mut seen = 0;
    let mut before = None;
    for c in skeleton.chars() {
        if c == DIGITS {
            if seen == j {
                return before.is_some_and(char::is_alphabetic);
            }
            seen += 1;
        }
        before = Some(c);
    }
    false
}

/// Groups `names` (the escaped names of one process's threads, main thread left out) into
/// pools by the rule at the top of this file. Every name is in exactly one group; groups
/// come in the order of their first member.
pub fn group<S: AsRef<str>>(names: &[S]) -> Vec<Group> {
    let splits: Vec<Split> = names.iter().map(|n| split(n.as_ref())).collect();
    let mut by_skeleton: HashMap<(&str, usize), Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for (i, s) in splits.iter().enumerate() {
        let k = (s.skeleton.as_str(), s.numbers.len());
        let e = by_skeleton.entry(k).or_default();
        if e.is_empty() {
            order.push(k);
        }
        e.push(i);
    }
    let mut out: Vec<Group> = Vec::new();
    for k in order {
        out.extend(group_same_skeleton(
            &splits,
            &by_skeleton[&k],
            k.0,
            k.1,
            true,
        ));
    }
    out.sort_by_key(|g| g.members[0]);
    out
}

/// Groups the names `at`, which share a skeleton with `n` runs of digits. Names left alone
/// are grouped again among themselves: `pool-1-thread-1` … `pool-5-thread-1` (five
/// single-thread executors) beside `pool-6-thread-1..3` are `pool-#-thread-1 ×5` and
/// `pool-6-thread-# ×3`.
fn group_same_skeleton(
    splits: &[Split],
    at: &[usize],
    skeleton: &str,
    n: usize,
    again: bool,
) -> Vec<Group> {
    let index = member_number(splits, at, skeleton, n);
    let mut out: Vec<Group> = Vec::new();
    // Same numbers but the member number: one group.
    let mut sub: HashMap<Vec<&str>, usize> = HashMap::new();
    for &i in at {
        let s = &splits[i];
        let key: Vec<&str> = s
            .numbers
            .iter()
            .enumerate()
            .filter(|(j, _)| Some(*j) != index)
            .map(|(_, n)| *n)
            .collect();
        match sub.get(&key) {
            Some(&g) => out[g].members.push(i),
            None => {
                sub.insert(key, out.len());
                out.push(Group {
                    label: label(s, index),
                    members: vec![i],
                });
            }
        }
    }
    let alone: Vec<usize> = out
        .iter()
        .filter(|g| g.members.len() == 1)
        .map(|g| g.members[0])
        .collect();
    // Once: each pass costs a pass over the names.
    if again && alone.len() >= 2 && alone.len() < at.len() {
        out.retain(|g| g.members.len() > 1);
        out.extend(group_same_skeleton(splits, &alone, skeleton, n, false));
    }
    out
}

/// The member number's position among the digit runs of the names `at` (all with the same
/// skeleton and `n` runs), if they have one.
fn member_number(splits: &[Split], at: &[usize], skeleton: &str, n: usize) -> Option<usize> {
    (0..n).rev().find(|&j| {
        let distinct = distinct_count(at.iter().map(|&i| splits[i].numbers[j]));
        let needed = if glued(skeleton, j) { 3 } else { 2 };
        if distinct < needed {
            return false;
        }
        if distinct == at.len() {
            // Every thread has its own value outright (`sleep-1` … `sleep-9999`): no two
            // can agree on it whatever the other numbers are.
            return true;
        }
        // Every thread has its own value once the other numbers are held fixed: sorted by
        // (the other numbers, its own), no two neighbours may be equal. Sorted indices, not
        // a set of cloned keys: for a 10,000-thread pool the set was 670 KB and 10,000
        // allocations (heaptrack), this is 80 KB; a list scan per group was quadratic.
        let key = |i: usize| {
            let ns = &splits[i].numbers;
            let rest = ns[..j].iter().chain(&ns[j + 1..]);
            (rest, ns[j])
        };
        let mut order: Vec<usize> = at.to_vec();
        order.sort_unstable_by(|&a, &b| {
            let ((ra, oa), (rb, ob)) = (key(a), key(b));
            ra.cmp(rb).then(oa.cmp(ob))
        });
        order.windows(2).all(|w| {
            let ((ra, oa), (rb, ob)) = (key(w[0]), key(w[1]));
            // A cut member number may repeat: it was a longer, different one.
            let cut_number = splits[w[1]].cut && j + 1 == n;
            !(ra.eq(rb) && oa == ob) || cut_number
        })
    })
}

/// How many different texts `numbers` (runs of digits) hold. Each run of up to 15 digits
/// (all a 15-byte name can hold) is compared as an integer tagged with its length, so
/// `7` and `007` stay apart: sorting 10,000 of them as strings was a fifth of the first
/// frame's model at 50,000 threads (perf), as integers a few hundred microseconds.
fn distinct_count<'a>(numbers: impl Iterator<Item = &'a str> + Clone) -> usize {
    let as_int = |n: &str| {
        parse_uint(n.as_bytes())
            .filter(|_| n.len() <= COMM_MAX)
            .map(|v| v << 4 | n.len() as u64)
    };
    if let Some(mut keys) = numbers.clone().map(as_int).collect::<Option<Vec<u64>>>() {
        keys.sort_unstable();
        keys.dedup();
        return keys.len();
    }
    // A longer run (escapes' digits next to a name's): as text.
    let mut texts: Vec<&str> = numbers.collect();
    texts.sort_unstable();
    texts.dedup();
    texts.len()
}

fn label(s: &Split, index: Option<usize>) -> String {
    let mut out = String::with_capacity(s.skeleton.len() + 8);
    let mut j = 0;
    for c in s.skeleton.chars() {
        if c == DIGITS {
            if Some(j) == index {
                out.push('#');
            } else {
                out.push_str(s.numbers.get(j).copied().unwrap_or(""));
            }
            j += 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// The threads of `p` that can be pool members: all but the main thread.
pub fn candidates(p: &ProcessInfo) -> impl Iterator<Item = &TaskInfo> {
    p.tasks.iter().filter(move |t| t.tid != p.tgid)
}

/// A thread's name as its row shows it and the pools group it: escaped, borrowed when
/// nothing needs escaping (most names); `?` when its `stat` was unreadable.
pub fn pool_name(t: &TaskInfo) -> Cow<'_, str> {
    if t.stat_error.is_some() {
        return super::view::UNREADABLE_NAME.into();
    }
    match std::str::from_utf8(&t.comm) {
        Ok(s) if s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'\\') => s.into(),
        _ => escape(&t.comm).into(),
    }
}

/// A process's grouping and the digest of the names it was made from.
type Kept = (u64, Rc<Vec<Group>>);

thread_local! {
    /// The last grouping of each process, with a digest of the names it was made from:
    /// a process's threads and names rarely change between ticks, and grouping 10,000
    /// names (a skeleton string each, a hash map) was a tenth of threadtop's CPU at 10,000
    /// waking threads (perf), done twice a tick (the rows, and the cgroup of the pool row).
    static GROUPS: RefCell<HashMap<u32, Kept>> = RefCell::new(HashMap::new());
}

/// Processes whose groupings are kept; beyond it the memo starts over.
const GROUPS_KEPT: usize = 256;

/// The pools of `p`'s [`candidates`] (indices in their order), as [`group`] makes them
/// from their [`pool_name`]s: the same answer, made again only when a thread or a name
/// changed.
pub fn groups(p: &ProcessInfo) -> Rc<Vec<Group>> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for t in candidates(p) {
        h.write_u32(t.tid);
        h.write_u8(u8::from(t.stat_error.is_some()));
        h.write(&t.comm);
        h.write_u8(0xff);
    }
    let digest = h.finish();
    let kept = GROUPS.with(|g| {
        g.borrow()
            .get(&p.tgid)
            .filter(|(d, _)| *d == digest)
            .map(|(_, v)| v.clone())
    });
    if let Some(v) = kept {
        return v;
    }
    let names: Vec<Cow<str>> = candidates(p).map(pool_name).collect();
    let v = Rc::new(group(&names));
    GROUPS.with(|g| {
        let mut g = g.borrow_mut();
        if g.len() >= GROUPS_KEPT {
            g.clear();
        }
        g.insert(p.tgid, (digest, v.clone()));
    });
    v
}

/// The tasks of `p` that the pool row labelled `label` stands for.
pub fn pool_members<'a>(p: &'a ProcessInfo, label: &str) -> impl Iterator<Item = &'a TaskInfo> {
    let tasks: Vec<&TaskInfo> = candidates(p).collect();
    let members = groups(p)
        .iter()
        .find(|g| g.label == label && g.members.len() >= 2)
        .map(|g| g.members.clone())
        .unwrap_or_default();
    members
        .into_iter()
        .filter_map(move |i| tasks.get(i).copied())
}

/// A stable identity for the pool labelled `label` of the process `process`: selection and
/// folding follow it across refreshes whatever the members are.
pub fn pool_key(process: TaskKey, label: &str) -> TaskKey {
    // FNV-1a: stable across runs (unlike std's randomly seeded hasher).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ process.start_ticks;
    for b in label.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    TaskKey {
        tid: process.tid,
        start_ticks: h | 1 << 63,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_text(numbers: &[&str]) -> usize {
        let mut v = numbers.to_vec();
        v.sort_unstable();
        v.dedup();
        v.len()
    }

    #[test]
    fn distinct_numbers_are_counted_as_their_text() {
        let cases: &[&[&str]] = &[
            &["1", "2", "3", "2"],
            // Leading zeros make another text, not the same number.
            &["7", "007", "07", "7"],
            &["0", "00", "000000000000000", "999999999999999"],
            // Longer than a 15-byte name's runs (escapes' digits): compared as text.
            &["1234567890123456", "1234567890123456", "1"],
        ];
        for numbers in cases {
            assert_eq!(
                distinct_count(numbers.iter().copied()),
                by_text(numbers),
                "{numbers:?}"
            );
        }
        let many: Vec<String> = (0..10_000).map(|i| (i % 2500).to_string()).collect();
        assert_eq!(distinct_count(many.iter().map(String::as_str)), 2500);
    }

    #[test]
    fn a_pool_of_distinct_members_and_one_with_repeats_group_as_before() {
        let mut names: Vec<String> = (1..=300).map(|i| format!("sleep-{i}")).collect();
        let g = group(&names);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].label, "sleep-#");
        assert_eq!(g[0].members, (0..300).collect::<Vec<_>>());
        // A number that repeats is not a member number: `pool-1-thread-#` and
        // `pool-2-thread-#`, told apart by the executor's number.
        names = (1..=4)
            .flat_map(|t| [format!("pool-1-thread-{t}"), format!("pool-2-thread-{t}")])
            .collect();
        let groups = group(&names);
        let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["pool-1-thread-#", "pool-2-thread-#"]);
    }
}
