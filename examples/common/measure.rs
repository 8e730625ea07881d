//! Measuring helpers shared by the examples and the refresh benchmark (each includes
//! this file with `#[path]`; not every one uses both).
#![allow(dead_code)]

/// CPU time of the calling thread, in ns.
pub fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

/// The median (the upper one of an even count; NaN when empty); sorts `v`.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}
