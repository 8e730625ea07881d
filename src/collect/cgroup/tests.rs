//! The tracker over fabricated trees: a /proc with tasks' `cgroup` files and a
//! `self/mountinfo`, and cgroup v2 or v1 hierarchies in a temporary directory (this
//! machine is hybrid; a fixture gives the other layouts).

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use super::*;
use crate::collect::{ProcessInfo, TaskInfo};

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let t = Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(t.proc().join("self")).expect("mkdir");
        t
    }
    fn proc(&self) -> PathBuf {
        self.dir.path().join("proc")
    }
    fn cg(&self, hier: &str) -> PathBuf {
        self.dir.path().join(hier)
    }
    fn mountinfo(&self, hiers: &[(&str, &str)]) {
        let mut text = String::from("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
        for (i, (dir, kind)) in hiers.iter().enumerate() {
            let point = self.cg(dir);
            std::fs::create_dir_all(&point).expect("mkdir");
            let (fstype, opts) = match *kind {
                "v2" => ("cgroup2", "rw".to_string()),
                c => ("cgroup", format!("rw,{c}")),
            };
            text.push_str(&format!(
                "{} 1 0:{} / {} rw,relatime - {fstype} cgroup {opts}\n",
                30 + i,
                30 + i,
                point.display().to_string().replace(' ', "\\040")
            ));
        }
        std::fs::write(self.proc().join("self/mountinfo"), text).expect("write");
    }
    fn file(&self, hier: &str, path: &str, name: &str, text: &str) {
        let d = self.cg(hier).join(path.trim_start_matches('/'));
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(name), text).expect("write");
    }
    fn task(&self, tgid: u32, tid: u32, cgroup: &str) {
        let d = self.proc().join(format!("{tgid}/task/{tid}"));
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join("cgroup"), cgroup).expect("write");
    }
    fn root_fd(&self) -> OwnedFd {
        rustix::fs::open(
            self.proc(),
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )
        .expect("open proc")
    }
}

fn process(tgid: u32, tids: &[u32]) -> ProcessInfo {
    ProcessInfo {
        tgid,
        ppid: 1,
        uid: Some(0),
        user: None,
        cmdline: Ok(Vec::new()),
        rss_bytes: 0,
        statm: None,
        task_io: Vec::new(),
        tasks: tids
            .iter()
            .map(|&tid| TaskInfo {
                tid,
                tgid,
                start_ticks: 100 + u64::from(tgid),
                comm: b"worker".into(),
                ..TaskInfo::EMPTY
            })
            .collect(),
        tasks_error: None,
    }
}

fn refresh(t: &mut CgroupTracker, tree: &Tree, procs: &[ProcessInfo]) -> Cgroups {
    let fd = tree.root_fd();
    t.refresh(fd.as_fd(), procs, false)
}

/// A pure v2 host (systemd): nginx.service limited to half a CPU under an unlimited slice.
fn v2_tree() -> Tree {
    let tree = Tree::new();
    tree.mountinfo(&[("cg2", "v2")]);
    tree.file(
        "cg2",
        "/",
        "cgroup.controllers",
        "cpuset cpu io memory pids\n",
    );
    tree.file("cg2", "/", "cpuset.cpus.effective", "0-3\n");
    tree.file("cg2", "/system.slice", "cpu.max", "max 100000\n");
    let svc = "/system.slice/nginx.service";
    tree.file("cg2", svc, "cpu.max", "50000 100000\n");
    tree.file(
        "cg2",
        svc,
        "cpu.stat",
        "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 300\n",
    );
    tree.file(
        "cg2",
        svc,
        "cpu.pressure",
        "some avg10=1.00 avg60=0.00 avg300=0.00 total=700\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=80\n",
    );
    for tid in [10, 11, 12] {
        tree.task(10, tid, &format!("0::{svc}\n"));
    }
    tree
}

#[test]
fn v2_facts_of_a_limited_service() {
    let tree = v2_tree();
    let mut t = CgroupTracker::new(tree.proc());
    let c = refresh(&mut t, &tree, &[process(10, &[10, 11, 12])]);
    assert_eq!(c.unavailable, None);
    let g = c.of(10, 11).expect("known");
    assert_eq!(g.version, 2);
    assert_eq!(g.path, b"/system.slice/nginx.service");
    assert_eq!(g.name().text, "nginx.service");
    assert_eq!(g.limit.map(|l| l.map(|l| l.cpus())), Ok(Some(0.5)));
    // Without the cpuset controller enabled there, the nearest parent's CPUs.
    assert_eq!(g.cpuset.as_deref(), Ok("0-3"));
    assert_eq!(g.usage_ns, Ok(2_000_000));
    assert_eq!(
        g.throttle,
        Ok(Throttle {
            periods: 10,
            throttled: 4,
            throttled_ns: 300_000
        })
    );
    assert_eq!(
        g.pressure,
        Ok(Pressure {
            some_us: 700,
            full_us: Some(80)
        })
    );
    assert_ne!(g.ino, 0);
    assert_eq!(c.groups.len(), 1);
}

#[test]
fn a_steady_machine_reads_few_task_files_and_a_tighter_parent_wins() {
    let tree = v2_tree();
    tree.file("cg2", "/system.slice", "cpu.max", "25000 100000\n");
    let mut t = CgroupTracker::new(tree.proc());
    let tids: Vec<u32> = (10..210).collect();
    for &tid in &tids {
        tree.task(10, tid, "0::/system.slice/nginx.service\n");
    }
    let procs = [process(10, &tids)];
    let c = refresh(&mut t, &tree, &procs);
    assert_eq!(
        c.of(10, 10)
            .and_then(|g| g.limit.map_err(|_| Why::Malformed)),
        Ok(Some(CpuLimit {
            quota_us: 25000,
            period_us: 100000
        }))
    );
    // First sight: the leader and a sample of 31 threads, not all 200.
    assert_eq!(t.task_reads, 32);
    let before = t.task_reads;
    for _ in 0..10 {
        refresh(&mut t, &tree, &procs);
    }
    // Then a few leaders and threads in turn per tick (4 + 2 here).
    assert!(
        t.task_reads - before <= 10 * 6,
        "{} reads in 10 ticks",
        t.task_reads - before
    );
}

#[test]
fn a_process_moved_by_hand_is_found_and_a_removed_cgroup_costs_nothing_else() {
    let tree = v2_tree();
    let mut t = CgroupTracker::new(tree.proc());
    let procs = [process(10, &[10, 11, 12])];
    refresh(&mut t, &tree, &procs);
    // Moved into a new cgroup, and the old one removed (rmdir needs it empty).
    tree.file("cg2", "/limited", "cpu.max", "10000 100000\n");
    for tid in [10, 11, 12] {
        tree.task(10, tid, "0::/limited\n");
    }
    std::fs::remove_dir_all(tree.cg("cg2").join("system.slice/nginx.service")).expect("rm");
    let c = refresh(&mut t, &tree, &procs);
    let g = c.of(10, 12).expect("known");
    assert_eq!(g.path, b"/limited");
    assert_eq!(g.limit.map(|l| l.map(|l| l.cpus())), Ok(Some(0.1)));
    assert_eq!(c.groups.len(), 1, "{:?}", c.groups);
}

#[test]
fn a_cgroup_made_again_under_the_same_path_is_another_cgroup() {
    let tree = v2_tree();
    let mut t = CgroupTracker::new(tree.proc());
    let procs = [process(10, &[10])];
    let before = refresh(&mut t, &tree, &procs);
    let svc = tree.cg("cg2").join("system.slice/nginx.service");
    let keep = tree.cg("cg2").join("kept-inode");
    // Made again: a new directory (a new inode) at the same path.
    std::fs::rename(&svc, &keep).expect("mv");
    std::fs::create_dir_all(&svc).expect("mkdir");
    std::fs::write(svc.join("cpu.stat"), "usage_usec 5\n").expect("write");
    let after = refresh(&mut t, &tree, &procs);
    let (b, a) = (&before.groups[0], &after.groups[0]);
    assert_eq!(a.path, b.path);
    assert!(!a.same_cgroup(b), "{} {}", a.ino, b.ino);
    assert_eq!(a.usage_ns, Ok(5000));
    // No cpu controller files there now: unknown, with the reason.
    assert_eq!(a.throttle, Err(Why::NoCpuController));
}

#[test]
fn threads_in_different_cgroups_are_each_known() {
    let tree = v2_tree();
    tree.file("cg2", "/app/workers", "cgroup.type", "threaded\n");
    tree.task(10, 12, "0::/app/workers\n");
    let mut t = CgroupTracker::new(tree.proc());
    let procs = [process(10, &[10, 11, 12])];
    let c = refresh(&mut t, &tree, &procs);
    assert_eq!(
        c.of(10, 11).map(|g| g.path.clone()),
        Ok(b"/system.slice/nginx.service".to_vec())
    );
    assert_eq!(
        c.of(10, 12).map(|g| g.path.clone()),
        Ok(b"/app/workers".to_vec())
    );
    assert_eq!(c.groups.len(), 2);
    // A new thread of such a process is read, not assumed.
    tree.task(10, 13, "0::/app/workers\n");
    let c = refresh(&mut t, &tree, &[process(10, &[10, 11, 12, 13])]);
    assert_eq!(
        c.of(10, 13).map(|g| g.path.clone()),
        Ok(b"/app/workers".to_vec())
    );
}

#[test]
fn v1_hybrid_limits_cpuacct_cpuset_and_the_v2_mirror() {
    let tree = Tree::new();
    tree.mountinfo(&[
        ("cpu", "cpu"),
        ("cpuacct", "cpuacct"),
        ("cpu set", "cpuset"),
        ("systemd", "name=systemd"),
        ("unified", "v2"),
    ]);
    for (path, quota) in [
        ("/", "-1"),
        ("/kubepods", "50000"),
        ("/kubepods/pod1", "200000"),
    ] {
        tree.file("cpu", path, "cpu.cfs_quota_us", &format!("{quota}\n"));
        tree.file("cpu", path, "cpu.cfs_period_us", "100000\n");
    }
    tree.file(
        "cpu",
        "/kubepods/pod1",
        "cpu.stat",
        "nr_periods 20\nnr_throttled 5\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n",
    );
    tree.file("cpuacct", "/kubepods/pod1", "cpuacct.usage", "987654321\n");
    tree.file("cpu set", "/pinned", "cpuset.effective_cpus", "1\n");
    tree.file(
        "unified",
        "/kubepods/pod1",
        "cpu.pressure",
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\n",
    );
    tree.task(
        20,
        20,
        "12:cpuset:/pinned\n3:cpuacct:/kubepods/pod1\n2:cpu:/kubepods/pod1\n1:name=systemd:/kubepods/pod1\n0::/kubepods/pod1\n",
    );
    let mut t = CgroupTracker::new(tree.proc());
    let c = refresh(&mut t, &tree, &[process(20, &[20])]);
    let g = c.of(20, 20).expect("known");
    assert_eq!(g.version, 1);
    assert_eq!(g.path, b"/kubepods/pod1");
    assert_eq!(g.cpuset_path.as_deref(), Some(&b"/pinned"[..]));
    // The parent's 0.5 CPU is tighter than the pod's own 2.
    assert_eq!(g.limit.map(|l| l.map(|l| l.cpus())), Ok(Some(0.5)));
    assert_eq!(g.usage_ns, Ok(987_654_321));
    assert_eq!(
        g.throttle,
        Ok(Throttle {
            periods: 20,
            throttled: 5,
            throttled_ns: 123_456
        })
    );
    assert_eq!(g.cpuset.as_deref(), Ok("1"));
    assert_eq!(g.pressure.map(|p| p.some_us), Ok(42));
}

#[test]
fn bad_input_is_unknown_with_a_reason_never_an_error() {
    // No cgroup filesystem mounted: the paths are known, the facts are not.
    let tree = Tree::new();
    tree.mountinfo(&[]);
    tree.task(30, 30, "0::/x\n");
    tree.task(31, 31, "0::/../../outside\n");
    tree.task(32, 32, "garbage\n");
    tree.task(33, 33, "");
    let mut t = CgroupTracker::new(tree.proc());
    let procs = [
        process(30, &[30]),
        process(31, &[31]),
        process(32, &[32]),
        process(33, &[33]),
        // No /proc entry at all: it exited.
        process(34, &[34]),
    ];
    let c = refresh(&mut t, &tree, &procs);
    let g = c.of(30, 30).expect("path known");
    assert_eq!(g.path, b"/x");
    assert_eq!(g.limit, Err(Why::NotMounted));
    assert_eq!(g.usage_ns, Err(Why::NotMounted));
    assert_eq!(c.of(32, 32).err(), Some(Why::Malformed));
    assert_eq!(c.of(33, 33).err(), Some(Why::Vanished));
    assert_eq!(c.of(34, 34).err(), Some(Why::Vanished));
    assert_eq!(c.of(99, 99).err(), Some(Why::NotRead));

    // Mounted, but the task is outside our namespace; a path with spaces and an escape.
    let tree = Tree::new();
    tree.mountinfo(&[("cg2", "v2")]);
    tree.file("cg2", "/", "cgroup.controllers", "cpu\n");
    tree.file("cg2", "/a b\x1b[1m", "cpu.stat", "usage_usec 1\n");
    tree.task(31, 31, "0::/../../outside\n");
    tree.task(35, 35, "0::/a b\x1b[1m\n");
    // A cgroup that was removed before we looked.
    tree.task(36, 36, "0::/gone\n");
    let mut t = CgroupTracker::new(tree.proc());
    let c = refresh(
        &mut t,
        &tree,
        &[process(31, &[31]), process(35, &[35]), process(36, &[36])],
    );
    assert_eq!(
        c.of(31, 31).map(|g| g.usage_ns),
        Ok(Err(Why::OutsideNamespace))
    );
    let odd = c.of(35, 35).expect("known");
    assert_eq!(odd.usage_ns, Ok(1000));
    assert_eq!(odd.name().text, "a b\\e[1m");
    // Not limited anywhere, with the controller there: unlimited, not unknown.
    assert_eq!(odd.limit, Ok(None));
    assert_eq!(odd.pressure, Err(Why::NoPsi));
    assert_eq!(odd.cpuset, Err(Why::NoCpusetController));
    assert_eq!(c.of(36, 36).map(|g| g.usage_ns), Ok(Err(Why::Vanished)));

    // A v1 host without a cpu hierarchy.
    let tree = Tree::new();
    tree.mountinfo(&[("systemd", "name=systemd"), ("memory", "memory")]);
    tree.task(
        40,
        40,
        "2:memory:/m\n1:name=systemd:/system.slice/foo.service\n",
    );
    let mut t = CgroupTracker::new(tree.proc());
    let c = refresh(&mut t, &tree, &[process(40, &[40])]);
    let g = c.of(40, 40).expect("known");
    assert_eq!(g.version, 1);
    assert_eq!(g.name().text, "foo.service");
    assert_eq!(g.limit, Err(Why::NoCpuController));
    assert_eq!(g.throttle, Err(Why::NoCpuController));
    assert_eq!(g.cpuset, Err(Why::NoCpusetController));

    // No mountinfo at all (a fabricated /proc).
    let tree = Tree::new();
    tree.task(50, 50, "0::/\n");
    let mut t = CgroupTracker::new(tree.proc());
    let c = refresh(&mut t, &tree, &[process(50, &[50])]);
    assert_eq!(c.of(50, 50).map(|g| g.limit), Ok(Err(Why::NotMounted)));
}

#[test]
fn unused_cgroups_leave_the_cache() {
    let tree = v2_tree();
    let mut t = CgroupTracker::new(tree.proc());
    for i in 0..20u32 {
        tree.task(100 + i, 100 + i, &format!("0::/c{i}\n"));
    }
    let all: Vec<ProcessInfo> = (0..20).map(|i| process(100 + i, &[100 + i])).collect();
    refresh(&mut t, &tree, &all);
    assert_eq!(t.cached_cgroups(), 20);
    for _ in 0..COMPACT_TICKS {
        refresh(&mut t, &tree, &all[..1]);
    }
    assert_eq!(t.cached_cgroups(), 1);
}

const COMPACT_TICKS: u64 = 256;

#[test]
fn an_exec_is_read_at_once_and_a_move_by_hand_within_a_turn() {
    let tree = v2_tree();
    let mut t = CgroupTracker::new(tree.proc());
    let n = 40u32;
    for i in 0..n {
        tree.task(100 + i, 100 + i, "0::/system.slice/nginx.service\n");
    }
    let mut procs: Vec<ProcessInfo> = (0..n).map(|i| process(100 + i, &[100 + i])).collect();
    refresh(&mut t, &tree, &procs);
    // Process 130 moved into a container's cgroup and exec'd (runc's order): its new name
    // sends it to be read on the very next tick, whoever's turn it is.
    tree.file("cg2", "/ctr", "cpu.max", "max 100000\n");
    tree.task(130, 130, "0::/ctr\n");
    procs[30].tasks[0].comm = b"nginx".into();
    let c = refresh(&mut t, &tree, &procs);
    assert_eq!(c.of(130, 130).map(|g| g.path.clone()), Ok(b"/ctr".to_vec()));
    // Process 120 moved by hand (same name): found when its turn comes, within
    // n / (4 + n / 32) ticks.
    tree.task(120, 120, "0::/ctr\n");
    let turns = n.div_ceil(4 + n / 32) + 1;
    let found = (0..turns).any(|_| {
        let c = refresh(&mut t, &tree, &procs);
        c.of(120, 120).map(|g| g.path.clone()) == Ok(b"/ctr".to_vec())
    });
    assert!(found, "not found within {turns} ticks");
}
