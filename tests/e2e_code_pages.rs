//! The real binary gives its start-up code's pages back once start-up is over
//! (`code_pages::drop_code_pages`, called once from the live loop): the resident size of
//! its code falls then, and only what runs afterwards is mapped back. Without that call
//! the code's resident size only grows (nothing else unmaps a running program's code but
//! reclaim under memory pressure, which could only make this test pass wrongly, never
//! fail wrongly).

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::smaps::code_rss_kib;
use support::{spawn, workload};

const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// Whether a row shows a CPU % figure: the rates are there (the first frame has none,
/// `-` in every row), so start-up is over with `--events off`.
fn rates_shown(screen: &str) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(header) = lines.iter().position(|l| l.contains("CPU%")) else {
        return false;
    };
    let Some(field) = lines[header]
        .split_whitespace()
        .position(|w| w.starts_with("CPU%"))
    else {
        return false;
    };
    lines[header + 1..]
        .iter()
        .filter_map(|l| l.split_whitespace().nth(field))
        .any(|f| f.parse::<f64>().is_ok())
}

#[test]
fn start_up_code_is_given_back_once_rates_are_shown() {
    let w = workload(&["--name", "ttcode", "--busy", "1", "--sleep", "2"]);
    let pid = w.pid.to_string();
    let mut pty = spawn(
        &["--delay", "0.2", "--events", "off", "-p", pid.as_str()],
        &[],
        120,
        30,
    );
    let tt = pty.pid();
    // The code's resident size from start on, every few milliseconds, in the background.
    let samples: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (samples.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match code_rss_kib(tt) {
                    Some(kib) => samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((Instant::now(), kib)),
                    None => break,
                }
                std::thread::sleep(Duration::from_millis(3));
            }
        })
    };
    pty.wait_for("CPU % figures (rates, start-up over)", WAIT, rates_shown)
        .expect("rates shown");
    let seen = Instant::now();
    // The highest size before the rates were seen is start-up's; the lowest after is once
    // the pages were given back (the call follows the frame that showed the rates). Waits
    // for that state, polling: under load the sampler may be slow to see the fall.
    let deadline = Instant::now() + WAIT;
    let (before, after) = loop {
        let (before, after) = {
            let s = samples.lock().unwrap_or_else(|e| e.into_inner());
            let before = s.iter().filter(|(t, _)| *t < seen).map(|&(_, k)| k).max();
            let after = s.iter().filter(|(t, _)| *t > seen).map(|&(_, k)| k).min();
            (before, after)
        };
        if let (Some(b), Some(a)) = (before, after)
            && (a < b || Instant::now() > deadline)
        {
            break (b, a);
        }
        assert!(
            Instant::now() < deadline,
            "no code size sampled before or after the rates showed: {before:?} / {after:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    assert!(
        after < before,
        "the code's resident size never fell after start-up: at most {before} KiB before the \
         rates showed, at least {after} KiB after"
    );
    println!("code RSS: {before} KiB at most during start-up, {after} KiB after");
    pty.send(b"q");
    let _ = pty.wait_exit(WAIT);
}
