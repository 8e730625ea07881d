//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::model::{Filter, SortKey, ViewOptions};

#[derive(Debug, Parser)]
#[command(
    name = "threadtop",
    version,
    about = "Every Linux task, live: processes, their threads, where they run and what state they are in",
    long_about = None,
    after_help = "Keys: ? in the program lists them all. JSON fields are documented in README.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Show only these processes (thread group ids); repeat or separate with commas
    #[arg(
        short = 'p',
        long = "pid",
        value_delimiter = ',',
        value_name = "PID",
        global = true
    )]
    pub pids: Vec<u32>,

    /// Start with this filter: a PID/TID, or text matched against names and command lines
    /// (case-insensitive unless it has a capital; * and ? are wildcards)
    #[arg(short = 'f', long, value_name = "TEXT", global = true)]
    pub filter: Option<String>,

    /// Sort by this column
    #[arg(short = 's', long, value_name = "KEY", default_value = "cpu", value_parser = parse_sort, global = true)]
    pub sort: SortKey,

    /// Reverse the sort order
    #[arg(short = 'r', long, global = true)]
    pub reverse: bool,

    /// Seconds between refreshes (also the interval --json measures rates over)
    #[arg(short = 'd', long, value_name = "SECS", default_value = "1", value_parser = parse_delay, global = true)]
    pub delay: Duration,

    /// A flat list of processes instead of the process tree
    #[arg(long)]
    pub flat: bool,

    /// Hide kernel threads
    #[arg(long)]
    pub hide_kernel: bool,

    /// Print one snapshot as JSON (rates over one --delay) and exit
    #[arg(long, global = true)]
    pub json: bool,

    /// Where procfs is mounted (for tests and containers)
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/proc",
        hide = true,
        global = true
    )]
    pub proc_root: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record one snapshot per tick to FILE, without a terminal, until stopped (Ctrl-C,
    /// SIGTERM) or --duration has passed. With -p, only those processes are recorded, with
    /// every field; without, every task but not the per-task status fields (switches split
    /// into voluntary/involuntary, affinity), which cost too much at every tick.
    Record {
        /// The recording to write (replaced if it exists)
        file: PathBuf,
        /// Stop after this long: `90s`, `1m30s`, `2h`
        #[arg(long, value_name = "D", value_parser = parse_duration_arg)]
        duration: Option<Duration>,
    },
    /// Explore a recording in the same UI, with a time bar; or print one tick with --json
    Replay {
        /// A file written by `threadtop record`
        file: PathBuf,
        /// With --json: which tick, as an offset from the start (`2s`, `1m30s`) or a
        /// local wall-clock time (`03:12:05`); without --json, where replay starts
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

fn parse_duration_arg(s: &str) -> Result<Duration, String> {
    crate::record::time::parse_duration(s)
        .ok_or_else(|| format!("'{s}' is not a duration: use e.g. 90s, 1m30s, 2h"))
}

fn parse_sort(s: &str) -> Result<SortKey, String> {
    SortKey::parse(s).ok_or_else(|| {
        let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.name()).collect();
        format!("unknown sort key '{s}'; use one of: {}", names.join(", "))
    })
}

fn parse_delay(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(0.05..=3600.0).contains(&secs) {
        return Err(format!("{s} s is out of range: use 0.05 to 3600"));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl Cli {
    pub fn view_options(&self) -> ViewOptions {
        ViewOptions {
            filter: self
                .filter
                .as_deref()
                .map(Filter::parse)
                .unwrap_or_default(),
            pids: self.pids.clone(),
            sort: self.sort,
            reverse: self.reverse,
            tree: !self.flat,
            hide_kernel: self.hide_kernel,
            ..ViewOptions::default()
        }
    }
}
