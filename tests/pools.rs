//! Thread pools as real programs name their threads (model/pools.rs), from fixtures: the
//! thread names of a JVM, Go, tokio, .NET, Python, nginx, PostgreSQL and glibc's default.

mod fixture;

use std::sync::Arc;

use fixture::*;
use threadtop::model::pools::{POOL_MIN_THREADS, group};
use threadtop::model::*;

/// The groups of `names` with two or more members, as `label ×n`, and the rest as names.
fn pools(names: &[String]) -> (Vec<String>, Vec<String>) {
    let mut pools = Vec::new();
    let mut single = Vec::new();
    for g in group(names) {
        if g.members.len() >= 2 {
            pools.push(format!("{} ×{}", g.label, g.members.len()));
        } else {
            single.push(names[g.members[0]].clone());
        }
    }
    (pools, single)
}

fn many(prefix: &str, range: std::ops::RangeInclusive<u32>, suffix: &str) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}{suffix}")).collect()
}

fn same(name: &str, n: usize) -> Vec<String> {
    vec![name.to_string(); n]
}

/// The threads of a JVM 17 running two fixed executors (8 and 12) and a ForkJoinPool, as
/// /proc/PID/task/*/comm shows them (cut by the kernel at 15 bytes), main thread left out.
fn jvm_threads() -> Vec<String> {
    let mut v = same("java", 1);
    v.extend(many("GC Thread#", 0..=7, ""));
    v.extend(
        [
            "G1 Main Marker",
            "G1 Conc#0",
            "G1 Refine#0",
            "G1 Service",
            "VM Periodic Tas",
            "VM Thread",
            "Reference Handl",
            "Finalizer",
            "Signal Dispatch",
            "Service Thread",
            "Monitor Deflati",
            "C2 CompilerThre",
            "C1 CompilerThre",
            "Common-Cleaner",
            "Notification Th",
        ]
        .map(String::from),
    );
    v.extend(many("pool-1-thread-", 1..=8, ""));
    // pool-2-thread-10..12, cut to 15 bytes, all read pool-2-thread-1.
    v.extend(
        many("pool-2-thread-", 1..=12, "")
            .into_iter()
            .map(|n| n[..n.len().min(15)].to_string()),
    );
    v.extend(same("ForkJoinPool-1-", 4));
    v
}

#[test]
fn java_executors_stay_separate_and_compiler_threads_are_not_a_pool() {
    let (p, single) = pools(&jvm_threads());
    assert_eq!(
        p,
        vec![
            "GC Thread## ×8",
            "pool-1-thread-# ×8",
            "pool-2-thread-# ×12",
            "ForkJoinPool-1- ×4",
        ]
    );
    assert!(
        single.contains(&"C1 CompilerThre".to_string()),
        "{single:?}"
    );
    assert!(
        single.contains(&"C2 CompilerThre".to_string()),
        "{single:?}"
    );
    assert!(single.contains(&"java".to_string()), "{single:?}");
}

#[test]
fn two_cut_fork_join_pools_stay_two_pools() {
    let mut v = same("ForkJoinPool-1-", 4);
    v.extend(same("ForkJoinPool-2-", 3));
    let (p, _) = pools(&v);
    assert_eq!(p, vec!["ForkJoinPool-1- ×4", "ForkJoinPool-2- ×3"]);
}

#[test]
fn several_compiler_threads_of_one_kind_are_a_pool_of_that_kind() {
    let mut v = same("C2 CompilerThre", 2);
    v.push("C1 CompilerThre".into());
    let (p, single) = pools(&v);
    assert_eq!(p, vec!["C2 CompilerThre ×2"]);
    assert_eq!(single, vec!["C1 CompilerThre"]);
}

#[test]
fn single_thread_executors_pool_on_the_executor_number() {
    let mut v = many("pool-", 1..=5, "-thread-1");
    v.extend(many("pool-6-thread-", 1..=3, ""));
    let (p, _) = pools(&v);
    assert_eq!(p, vec!["pool-#-thread-1 ×5", "pool-6-thread-# ×3"]);
}

#[test]
fn identical_names_keep_their_digits() {
    // Go runtime threads, tokio, Python without names, nginx's thread pool, glibc's default.
    for (name, n) in [
        ("gopls", 11),
        ("tokio-runtime-w", 8),
        ("python3", 20),
        ("nginx", 16),
        ("prog", 5),
    ] {
        let (p, single) = pools(&same(name, n));
        assert_eq!(p, vec![format!("{name} ×{n}")]);
        assert!(single.is_empty());
    }
}

#[test]
fn dotnet_pools_by_name() {
    let mut v = same(".NET ThreadPool", 6);
    v.extend(same(".NET TP Worker", 4));
    v.extend([".NET SynchManag", ".NET Finalizer", ".NET Tiered Com"].map(String::from));
    let (p, single) = pools(&v);
    assert_eq!(p, vec![".NET ThreadPool ×6", ".NET TP Worker ×4"]);
    assert_eq!(single.len(), 3);
}

#[test]
fn python_named_executors_stay_separate() {
    let mut v = many("ThreadPoolExecutor-0_", 0..=3, "");
    v.extend(many("ThreadPoolExecutor-1_", 0..=5, ""));
    let (p, _) = pools(&v);
    assert_eq!(
        p,
        vec!["ThreadPoolExecutor-0_# ×4", "ThreadPoolExecutor-1_# ×6"]
    );
    // As /proc shows them when Python names the OS threads: cut to 15 bytes, identical.
    let (p, _) = pools(&same("ThreadPoolExecu", 8));
    assert_eq!(p, vec!["ThreadPoolExecu ×8"]);
}

#[test]
fn glued_numbers_are_a_series_from_three_values() {
    let (p, _) = pools(&many("worker", 1..=3, ""));
    assert_eq!(p, vec!["worker# ×3"]);
    let (p, single) = pools(&many("worker", 1..=2, ""));
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(single.len(), 2);
}

fn leak(s: String) -> &'static [u8] {
    Box::leak(s.into_bytes().into_boxed_slice())
}

/// A process `name` with main thread `tgid` and the threads `names` (TIDs after it).
fn process_with(tgid: u32, name: &'static [u8], names: &[String]) -> P {
    let mut tasks = vec![t(tgid, name, b'S', 0)];
    for (i, n) in names.iter().enumerate() {
        tasks.push(t(tgid + 1 + i as u32, leak(n.clone()), b'S', 0));
    }
    p(tgid, 1, b"prog", tasks)
}

fn pool_rows(s: fixture::P) -> Vec<(RowKind, String, u32)> {
    let m = Model::new(None, Arc::new(snap(10, vec![s])));
    m.rows(&ViewOptions {
        sort: SortKey::Tid,
        ..ViewOptions::default()
    })
    .into_iter()
    .map(|r| (r.kind, r.name, r.threads))
    .collect()
}

#[test]
fn a_jvm_shows_its_executors_as_separate_pools_and_its_main_thread_alone() {
    let names = jvm_threads();
    // 40 and more threads: the 8-thread executor folds.
    assert!(names.len() + 1 >= 40);
    let rows = pool_rows(process_with(700, b"java", &names));
    let pool = |label: &str, n: u32| rows.contains(&(RowKind::Pool, label.to_string(), n));
    assert!(pool("pool-1-thread-#", 8), "{rows:?}");
    assert!(pool("pool-2-thread-#", 12), "{rows:?}");
    assert!(pool("ForkJoinPool-1-", 4), "{rows:?}");
    assert!(pool("GC Thread##", 8), "{rows:?}");
    // The main thread and the JVM's "java" thread are two thread rows, not `java ×2`.
    let java: Vec<_> = rows.iter().filter(|r| r.1 == "java").collect();
    assert_eq!(
        java.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![RowKind::Process, RowKind::Thread, RowKind::Thread],
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| *r == (RowKind::Thread, "C1 CompilerThre".into(), 1))
    );
}

#[test]
fn the_main_thread_is_never_in_its_namesakes_pool() {
    // nginx: the master's threads all named like it.
    let rows = pool_rows(process_with(800, b"nginx", &same("nginx", 16)));
    assert_eq!(
        rows,
        vec![
            (RowKind::Process, "nginx".into(), 17),
            (RowKind::Thread, "nginx".into(), 1),
            (RowKind::Pool, "nginx".into(), 16),
        ]
    );
}

#[test]
fn pool_members_are_the_pool_rows_threads() {
    let s = process_with(700, b"java", &jvm_threads());
    let snap = snap(10, vec![s]);
    let p = &snap.processes[0];
    let tids: Vec<u32> = threadtop::model::pools::pool_members(p, "pool-1-thread-#")
        .map(|t| t.tid)
        .collect();
    assert_eq!(tids.len(), 8);
    assert!(tids.iter().all(|tid| {
        p.tasks
            .iter()
            .any(|t| t.tid == *tid && t.comm.starts_with(b"pool-1-"))
    }));
    // The main thread is no member of the pool named like it.
    let s = process_with(800, b"nginx", &same("nginx", 16));
    let snap = fixture::snap(10, vec![s]);
    let members: Vec<u32> = threadtop::model::pools::pool_members(&snap.processes[0], "nginx")
        .map(|t| t.tid)
        .collect();
    assert_eq!(members.len(), 16);
    assert!(!members.contains(&800));
}

#[test]
fn postgresql_processes_make_no_pools() {
    // PostgreSQL forks a process per backend: single-threaded processes, nothing to fold.
    let procs: Vec<P> = (0..20)
        .map(|i| {
            p(
                900 + i,
                1,
                b"postgres",
                vec![t(900 + i, b"postgres", b'S', 0)],
            )
        })
        .collect();
    let m = Model::new(None, Arc::new(snap(10, procs)));
    assert!(
        m.rows(&ViewOptions::default())
            .iter()
            .all(|r| r.kind != RowKind::Pool)
    );
}

#[test]
fn small_processes_list_every_thread() {
    let names = same("python3", POOL_MIN_THREADS - 2);
    let rows = pool_rows(process_with(1000, b"python3", &names));
    assert!(rows.iter().all(|r| r.0 != RowKind::Pool), "{rows:?}");
}

/// The grouping of a process is remembered between ticks (it cost a tenth of the CPU at
/// 10,000 threads), but a thread renamed, started or gone is seen at once.
#[test]
fn a_renamed_or_new_thread_changes_the_pools_at_once() {
    let make = |renamed: bool, extra: bool| {
        let mut tasks = vec![t(100, b"srv", b'S', 0)];
        tasks.extend((1..=20).map(|i| {
            let name: &'static [u8] = if renamed && i == 20 {
                b"odd"
            } else {
                b"worker"
            };
            t(100 + i, name, b'S', 0)
        }));
        if extra {
            tasks.push(t(200, b"worker", b'S', 0));
        }
        snap(10, vec![p(100, 1, b"srv", tasks)])
    };
    let members = |s: &threadtop::collect::Snapshot| {
        threadtop::model::pools::pool_members(&s.processes[0], "worker").count()
    };
    let plain = make(false, false);
    assert_eq!(members(&plain), 20);
    assert_eq!(members(&make(true, false)), 19, "renamed");
    assert_eq!(members(&make(false, true)), 21, "one more");
    assert_eq!(members(&plain), 20, "back as it was");
}
