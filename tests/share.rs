//! kcmp-based sharing on live tasks: this test process's threads, a forked child, kthreadd.

use std::path::Path;
use std::process::Command;

use threadtop::collect::share::{Group, Resource, TaskRef, compute};
use threadtop::collect::{DetailPlan, Scanner};

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
        assert_eq!(
            shares[&k.key].get(Resource::Vm),
            Group::None,
            "kthreadd has no address space"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
