//! The kernel's floor under the /proc path: what the two reads a task costs that threadtop
//! makes every tick (`pread` of a kept `stat` and of a kept `schedstat`), against what the
//! benchmark's reference scanner does (`openat` + `read` + `close` of `stat`), with no
//! parsing, no model and no screen: nothing of threadtop's own.
//!
//! ```sh
//! cargo run --release --example proc_floor -- 1000 10000            # waking threads
//! cargo run --release --example proc_floor -- 1000 10000 --sleeping # never-waking ones
//! ```
//!
//! For each size it starts `threadtop-workload` with that many threads (one busy; the
//! others wake every 100 ms unless `--sleeping`), keeps a descriptor of every thread's
//! `stat` and `schedstat`, and over 7 rounds 1 s apart (as a monitor runs) times, in this
//! thread's CPU time, one pass of each over every thread. Medians a task are printed, and
//! the ratio of the two kept reads to the reference's open+read+close: the share of the
//! reference that the whole /proc path spends in the kernel before doing anything else.

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::fs::{Mode, OFlags, openat};

#[path = "common/measure.rs"]
mod measure;
use measure::{median, thread_cpu_ns};
#[path = "common/workload.rs"]
mod workload;
use workload::Workload;

const FLAGS: OFlags = OFlags::RDONLY.union(OFlags::CLOEXEC);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sleeping = args.iter().any(|a| a == "--sleeping");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    for n in sizes {
        let sleep = (n - 1).to_string();
        let mut args = vec!["--busy", "1", "--sleep", &sleep, "--seconds", "600"];
        if !sleeping {
            args.extend(["--wake-every", "100"]);
        }
        let workload = Workload::start(&args);
        let task_dir = rustix::fs::open(
            format!("/proc/{}/task", workload.pid()).as_str(),
            FLAGS | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .expect("open the workload's task directory");
        let tids: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", workload.pid()))
            .expect("list the workload's tasks")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        // Two kept descriptors a task, with room left for the reference's opens: under
        // RLIMIT_NOFILE (20,000 here) only the first tasks' are kept at 10,000 threads.
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(u64::MAX);
        let fit = usize::try_from(limit.saturating_sub(128) / 2).unwrap_or(usize::MAX);
        let kept = |name: &str| -> Vec<OwnedFd> {
            tids.iter()
                .take(fit)
                .filter_map(|t| {
                    openat(
                        task_dir.as_fd(),
                        format!("{t}/{name}"),
                        FLAGS,
                        Mode::empty(),
                    )
                    .ok()
                })
                .collect()
        };
        let (stat, schedstat) = (kept("stat"), kept("schedstat"));
        let paths: Vec<String> = tids.iter().map(|t| format!("{t}/stat")).collect();
        let mut buf = vec![0u8; 4096];
        let (mut s, mut q, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..7 {
            std::thread::sleep(Duration::from_secs(1));
            let t0 = thread_cpu_ns();
            for fd in &stat {
                let _ = rustix::io::pread(fd, &mut buf[..], 0);
            }
            let t1 = thread_cpu_ns();
            for fd in &schedstat {
                let _ = rustix::io::pread(fd, &mut buf[..], 0);
            }
            let t2 = thread_cpu_ns();
            for p in &paths {
                if let Ok(fd) = openat(task_dir.as_fd(), p.as_str(), FLAGS, Mode::empty()) {
                    let _ = rustix::io::read(&fd, &mut buf[..]);
                }
            }
            let t3 = thread_cpu_ns();
            let per = |a: u64, b: u64, n: usize| (b - a) as f64 / 1e3 / n.max(1) as f64;
            s.push(per(t0, t1, stat.len()));
            q.push(per(t1, t2, schedstat.len()));
            r.push(per(t2, t3, paths.len()));
        }
        let (s, q, r) = (median(&mut s), median(&mut q), median(&mut r));
        println!(
            "{} tasks ({} kept; {}): pread of a kept stat {s:.2} µs, of a kept schedstat {q:.2} µs, both {:.2} µs; openat+read+close of stat {r:.2} µs; both / reference {:.2}",
            tids.len(),
            stat.len(),
            if sleeping {
                "sleeping"
            } else {
                "waking every 100 ms"
            },
            s + q,
            (s + q) / r
        );
    }
}
