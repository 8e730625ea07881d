//! `threadtop-workload` for the examples: started with its arguments, returned once all
//! its threads run (it prints `end`), killed and reaped when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Workload(pub Child);

impl Workload {
    /// Starts the workload built beside this example (`cargo build --release` first).
    pub fn start(args: &[&str]) -> Self {
        let exe = std::env::current_exe().expect("current exe");
        let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
        let mut child = Command::new(dir.join("threadtop-workload"))
            .args(args)
            .arg("--exit-on-eof")
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
        Workload(child)
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
