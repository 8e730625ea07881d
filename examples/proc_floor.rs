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

use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;

use rustix::fs::{Mode, OFlags, openat};

fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

const FLAGS: OFlags = OFlags::RDONLY.union(OFlags::CLOEXEC);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sleeping = args.iter().any(|a| a == "--sleeping");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let workload = dir.join("threadtop-workload");
    for n in sizes {
        let mut cmd = Command::new(&workload);
        cmd.args(["--busy", "1", "--sleep", &(n - 1).to_string()])
            .args(["--seconds", "600", "--exit-on-eof"]);
        if !sleeping {
            cmd.args(["--wake-every", "100"]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start threadtop-workload (cargo build --release first)");
        let out = child.stdout.take().expect("piped");
        for line in BufReader::new(out).lines() {
            if line.map(|l| l == "end").unwrap_or(true) {
                break;
            }
        }
        let task_dir = rustix::fs::open(
            format!("/proc/{}/task", child.id()).as_str(),
            FLAGS | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .expect("open the workload's task directory");
        let tids: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", child.id()))
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
        drop(child.stdin.take());
        let _ = child.kill();
        let _ = child.wait();
    }
}
