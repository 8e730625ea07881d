//! Time from start to the first full frame of the release `threadtop`, on a 200x50
//! pseudo-terminal, as the refresh bench measures it but on the machine as it is (start
//! your own workload first): `cargo run --release --example first_frame -- MIN_TASKS
//! [ROUNDS] [-- THREADTOP ARGS]`. A frame is full when its header counts at least
//! MIN_TASKS tasks. Prints each round and the median. `FIRST_FRAME_BIN=PATH` times
//! another build instead, and `FIRST_FRAME_BIN=PATH:PATH2` alternates two builds round by
//! round (a median each), so that both see the same machine.
#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

/// As the tests and the bench: no user config.
const NO_CONFIG_DIR: &str = "/nonexistent/threadtop-tests/config";

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let min: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .expect("MIN_TASKS");
    let rounds: usize = args
        .get(1)
        .filter(|_| split > 1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let tt_args: Vec<&str> = args.iter().skip(split + 1).map(String::as_str).collect();
    let exe = std::env::current_exe().expect("current exe");
    let bins: Vec<std::path::PathBuf> = match std::env::var("FIRST_FRAME_BIN") {
        Ok(v) => v.split(':').map(Into::into).collect(),
        Err(_) => vec![
            exe.parent()
                .and_then(|d| d.parent())
                .expect("target dir")
                .join("threadtop"),
        ],
    };
    let mut ms = vec![Vec::new(); bins.len()];
    for round in 0..rounds * bins.len() {
        let which = round % bins.len();
        let bin = &bins[which];
        let start = Instant::now();
        let pty = pty::Pty::spawn(bin, &tt_args, &[], 200, 50).expect("spawn threadtop");
        let mut took = None;
        while start.elapsed() < Duration::from_secs(60) {
            let full = pty
                .screen_text()
                .lines()
                .filter_map(|l| l.trim_start().strip_prefix("Tasks "))
                .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
                .any(|n| n >= min);
            if full {
                took = Some(start.elapsed().as_secs_f64() * 1e3);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        drop(pty);
        let name = bin.display();
        match took {
            Some(t) => {
                println!("round {round}: first full frame {t:.0} ms ({name})");
                ms[which].push(t);
            }
            None => println!("round {round}: no full frame within 60 s ({name})"),
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    for (bin, ms) in bins.iter().zip(&mut ms) {
        ms.sort_by(f64::total_cmp);
        if let Some(m) = ms.get(ms.len() / 2) {
            let (lo, hi) = (ms[0], ms[ms.len() - 1]);
            println!(
                "median of {}: {m:.0} ms ({lo:.0}-{hi:.0}) {}",
                ms.len(),
                bin.display()
            );
        }
    }
}
