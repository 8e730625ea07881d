//! kcmp-based sharing on live tasks: this test process's threads (one with its own fd
//! table), a forked child, clone(CLONE_VM) and clone(CLONE_FILES) children, kthreadd. The
//! same checks hold for root and for any other user: comparing one's own tasks needs no
//! privilege; only kthreadd is not ours, and then it must be unknown (denied), not a group.

mod support;

use std::path::Path;
use std::process::Command;

use threadtop::collect::share::{
    Group, Resource, Shares, TaskRef, Why, compute, compute_sorting_all,
};
use threadtop::collect::{DetailPlan, Scanner};

/// The second test gives one of this process's threads its own fd table, which the first
/// one's "every thread shares everything" must not see: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn refs(tgids: &[u32]) -> Vec<TaskRef> {
    let snap = Scanner::new("/proc").scan(&DetailPlan::default());
    snap.processes
        .iter()
        .filter(|p| tgids.contains(&p.tgid))
        .flat_map(|p| p.tasks.iter())
        .map(TaskRef::of)
        .collect()
}

#[test]
fn threads_share_everything_a_fork_child_only_namespaces_kernel_vm_is_none() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let me = std::process::id();
    let _t = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(5)));
    let mut child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let tasks = refs(&[me, child.id(), 2]);
    let shares = compute(Path::new("/proc"), &tasks);
    let mine: Vec<&TaskRef> = tasks.iter().filter(|t| t.tgid == me).collect();
    assert!(mine.len() >= 2, "test process has threads");
    let lead = shares[&mine[0].key];
    let sleeper = tasks.iter().find(|t| t.tgid == child.id()).expect("child");
    let kid = shares[&sleeper.key];
    for r in Resource::ALL {
        if matches!(lead.get(r), Group::Unknown(_)) {
            eprintln!("skipped {}: {:?}", r.name(), lead.get(r));
            continue;
        }
        for t in &mine[1..] {
            if matches!(
                r,
                Resource::Vm | Resource::Files | Resource::Fs | Resource::Sighand
            ) || r.is_namespace()
            {
                assert_eq!(
                    shares[&t.key].get(r),
                    lead.get(r),
                    "{} of thread {}",
                    r.name(),
                    t.key.tid
                );
            }
        }
        if r.is_namespace() {
            assert_eq!(
                kid.get(r),
                lead.get(r),
                "fork child stays in our {}",
                r.name()
            );
        } else if matches!(
            r,
            Resource::Vm | Resource::Files | Resource::Fs | Resource::Sighand
        ) {
            assert_ne!(
                kid.get(r),
                lead.get(r),
                "fork child has its own {}",
                r.name()
            );
        }
    }
    if let Some(k) = tasks.iter().find(|t| t.key.tid == 2) {
        // Root may compare it: it has no address space. Anyone else may not: unknown,
        // with the reason, and never a group shared with something.
        let want = if rustix::process::geteuid().is_root() {
            Group::None
        } else {
            Group::Unknown(Why::Denied)
        };
        assert_eq!(
            shares[&k.key].get(Resource::Vm),
            want,
            "kthreadd's address space"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Sharing follows the objects, not the thread groups: a thread that unshared its fd
/// table has its own, and children made with CLONE_VM or CLONE_FILES share that one object
/// with another process. ("Same thread group = same object" passed the test above.)
#[test]
fn sharing_crosses_thread_groups_and_a_thread_can_have_its_own_fd_table() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let loner_thread = std::thread::spawn(move || {
        // SAFETY: unshare(2) on the calling thread only; no memory is touched.
        let rc = unsafe { libc::unshare(libc::CLONE_FILES) };
        let _ = tx.send((rustix::thread::gettid().as_raw_nonzero().get() as u32, rc));
        let _ = done_rx.recv_timeout(std::time::Duration::from_secs(60));
    });
    let (loner_tid, rc) = rx.recv().expect("the thread reports");
    assert_eq!(rc, 0, "unshare(CLONE_FILES)");
    let w = support::workload(&["--name", "ttshares", "--sleep", "1", "--share-demo"]);
    let child = |name: &str| {
        w.children
            .iter()
            .find(|c| c.1 == name)
            .unwrap_or_else(|| panic!("{name} started"))
            .0
    };
    let (vm_child, files_child, fork_child) =
        (child("vm-child"), child("files-child"), child("fork-child"));
    let me = std::process::id();
    let tasks = refs(&[me, w.pid, vm_child, files_child, fork_child]);
    let shares = compute(Path::new("/proc"), &tasks);
    let of = |tid: u32| {
        let t = tasks
            .iter()
            .find(|t| t.key.tid == tid)
            .unwrap_or_else(|| panic!("task {tid} scanned"));
        shares[&t.key]
    };
    let known = |g: Group| {
        assert!(matches!(g, Group::Id(_)), "own tasks are comparable: {g:?}");
        g
    };
    let (mine, loner) = (of(me), of(loner_tid));
    assert_eq!(
        known(loner.get(Resource::Vm)),
        known(mine.get(Resource::Vm))
    );
    assert_ne!(
        known(loner.get(Resource::Files)),
        known(mine.get(Resource::Files)),
        "the thread that unshared its fd table has its own"
    );
    let (lead, vm, files, fork) = (of(w.pid), of(vm_child), of(files_child), of(fork_child));
    let same = |a: Shares, b: Shares, r: Resource| known(a.get(r)) == known(b.get(r));
    assert!(same(lead, vm, Resource::Vm), "CLONE_VM child shares the VM");
    assert!(
        !same(lead, vm, Resource::Files),
        "CLONE_VM child: own fd table"
    );
    assert!(
        same(lead, files, Resource::Files),
        "CLONE_FILES child shares the fd table"
    );
    assert!(
        !same(lead, files, Resource::Vm),
        "CLONE_FILES child: own VM"
    );
    for r in [
        Resource::Vm,
        Resource::Files,
        Resource::Fs,
        Resource::Sighand,
    ] {
        assert!(!same(lead, fork, r), "fork child: own {}", r.name());
        assert!(!same(lead, mine, r), "another process: own {}", r.name());
    }
    // Comparing each thread with its process's first task, and sorting only the rest,
    // gives exactly the groups (and ids) that sorting every task gave.
    let all = refs(&[me, w.pid, vm_child, files_child, fork_child, 1, 2]);
    assert_eq!(
        compute(Path::new("/proc"), &all),
        compute_sorting_all(Path::new("/proc"), &all)
    );
    let _ = done_tx.send(());
    let _ = loner_thread.join();
}
