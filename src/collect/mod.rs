//! Reads /proc into plain snapshots. No UI types, no rates: raw counters only.
//! A task that vanished or refused us is a normal outcome here, never an error.

pub mod bpf_sys;
pub mod cgroup;
pub mod events;
pub mod fd_budget;
pub mod heap;
pub mod kept_files;
pub mod parse;
pub mod prefetch;
pub mod scan;
pub mod share;
pub mod snapshot;
pub mod system;
pub mod task_iter;
pub mod topology;
pub mod users;
pub mod waits;
pub mod worker;

pub use scan::{DetailPlan, Scanner, now_boot_ns, prepare_descriptor_table};
pub use share::{Group, Resource, ShareReport, Shares, TaskRef};
pub use snapshot::*;
pub use topology::{CpuTopology, format_cpu_list, parse_cpu_list};
pub use worker::{Backlog, Collector, Control};
