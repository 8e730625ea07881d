//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::model::columns::{Column, ColumnLayout};
use crate::model::{Filter, SortKey, ViewOptions};
use crate::palette::ColorChoice;

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

    /// Show only the tasks whose cgroup's name or path matches NAME: a systemd unit
    /// (nginx.service), a container (docker:0123456789ab, or any part of its id), a
    /// Kubernetes pod UID (as the filter: smart case, * and ?)
    #[arg(long, value_name = "NAME", global = true)]
    pub cgroup: Option<String>,

    /// Sort by this column
    #[arg(short = 's', long, value_name = "KEY", default_value = "cpu", value_parser = sort_keys(), global = true)]
    pub sort: SortKey,

    /// Reverse the sort order
    #[arg(short = 'r', long, global = true, overrides_with = "no_reverse")]
    pub reverse: bool,

    /// Do not reverse the sort order (undoes `reverse = true` in the config file)
    #[arg(
        long,
        global = true,
        overrides_with = "reverse",
        hide_short_help = true
    )]
    pub no_reverse: bool,

    /// Seconds between refreshes (also the interval --json measures rates over)
    #[arg(short = 'd', long, value_name = "SECS", default_value = "1", value_parser = parse_delay, global = true)]
    pub delay: Duration,

    /// A flat list of processes instead of the process tree
    #[arg(long, overrides_with = "tree")]
    pub flat: bool,

    /// The process tree (the default; undoes `flat = true` in the config file)
    #[arg(long, overrides_with = "flat", hide_short_help = true)]
    pub tree: bool,

    /// Hide kernel threads
    #[arg(long, overrides_with = "no_hide_kernel")]
    pub hide_kernel: bool,

    /// Show kernel threads (the default; undoes `hide_kernel = true` in the config file)
    #[arg(long, overrides_with = "hide_kernel", hide_short_help = true)]
    pub no_hide_kernel: bool,

    /// Print one snapshot as JSON (rates over one --delay) and exit
    #[arg(long, global = true)]
    pub json: bool,

    /// With --json or --batch: print N snapshots, one per --delay (0: until stopped);
    /// --json then prints one JSON object per line (NDJSON)
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<u64>,

    /// Print a text table per tick, like `top -b -H`, until stopped (or --count): the
    /// columns shown on screen, every row, for grep and logs
    #[arg(short = 'b', long, conflicts_with = "json")]
    pub batch: bool,

    /// Colour the screen: auto (unless NO_COLOR is set or TERM=dumb), always, never
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Draw with ASCII only (tree guides, fold marks, borders, bars); automatic for
    /// TERM=linux and TERM=vt100
    #[arg(long, global = true, overrides_with = "no_ascii")]
    pub ascii: bool,

    /// Unicode glyphs unless TERM asks for ASCII (undoes `ascii = true` in the config file)
    #[arg(long, global = true, overrides_with = "ascii", hide_short_help = true)]
    pub no_ascii: bool,

    /// Do not capture the mouse (leaves the terminal's own selection and scrolling alone)
    #[arg(long, global = true, overrides_with = "mouse")]
    pub no_mouse: bool,

    /// Capture the mouse (the default; undoes `mouse = false` in the config file)
    #[arg(
        long,
        global = true,
        overrides_with = "no_mouse",
        hide_short_help = true
    )]
    pub mouse: bool,

    /// Colours: a built-in theme (dark, light, high-contrast, mono), a theme in
    /// $XDG_CONFIG_HOME/threadtop/themes/NAME.toml, or the path of a theme file
    #[arg(long, value_name = "NAME|PATH", global = true)]
    pub theme: Option<String>,

    /// The basic column set, comma-separated, in order (NAME is always last): e.g.
    /// tid,user,state,cpu,switches
    #[arg(long, value_name = "LIST", value_parser = parse_columns, global = true)]
    pub columns: Option<ColumnList>,

    /// The scheduling column set (shown after `c`), comma-separated, in order
    #[arg(long, value_name = "LIST", value_parser = parse_columns, global = true)]
    pub sched_columns: Option<ColumnList>,

    /// Read this config file instead of $XDG_CONFIG_HOME/threadtop/config.toml (it must
    /// exist); also THREADTOP_CONFIG
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no config file: built-in defaults and the command line only
    #[arg(long, global = true)]
    pub no_config: bool,

    /// Scheduling events from the kernel (BPF): auto (when permitted: root or CAP_BPF and
    /// CAP_PERFMON), on (fail, saying what is missing, when they cannot load), off (/proc only)
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = crate::collect::events::Mode::Auto, global = true)]
    pub events: crate::collect::events::Mode,

    /// Print the default config file, every key documented, and exit
    #[arg(long)]
    pub print_config: bool,

    /// Print the man page (roff) or a shell completion script to stdout and exit
    #[arg(long, value_name = "WHAT", value_enum)]
    pub generate: Option<Generate>,

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

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page, threadtop(1), as roff: `threadtop --generate man > threadtop.1`
    Man,
    /// Bash completions
    Bash,
    /// Zsh completions
    Zsh,
    /// Fish completions
    Fish,
}

/// Writes what `--generate` asks for, from this very command-line definition.
pub fn generate(what: Generate, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut cmd = Cli::command();
    let shell = match what {
        Generate::Man => return man_page(cmd, out),
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
    };
    clap_complete::generate(shell, &mut cmd, "threadtop", out);
    Ok(())
}

/// threadtop(1): the usual sections, with `record` and `replay` described in the page itself
/// (one page to install, not one per subcommand).
fn man_page(cmd: clap::Command, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let cmd = cmd.disable_help_subcommand(true);
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut sub = sub
            .clone()
            .bin_name(format!("threadtop {}", sub.get_name()));
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        writeln!(out, ".TP\n\\fB{}\\fR", roff(usage))?;
        let about = sub.get_long_about().or(sub.get_about());
        if let Some(about) = about {
            writeln!(out, "{}", roff(&about.to_string()))?;
        }
        for arg in sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !a.is_global_set() && a.get_id() != "help")
        {
            let value = arg
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string())
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            let name = match arg.get_long() {
                Some(l) => format!("--{l} {value}"),
                None => value,
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            writeln!(
                out,
                ".RS\n.TP\n\\fB{}\\fR\n{}\n.RE",
                roff(&name),
                roff(&help)
            )?;
        }
    }
    man.render_extra_section(out)?;
    man.render_version_section(out)
}

/// Text for a roff line: backslashes and dashes escaped, no line starting with a control
/// character.
fn roff(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    let s = s.replace('\n', " ");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Flags that only change the screen or the printout, given to `record` (which has
/// neither): rejected rather than ignored. `None` when there are none.
pub fn record_misuse(m: &clap::ArgMatches) -> Option<String> {
    let given: Vec<String> = [
        "json",
        "batch",
        "count",
        "theme",
        "mouse",
        "no_mouse",
        "columns",
        "sched_columns",
        "color",
        "ascii",
        "no_ascii",
        "filter",
        "sort",
        "reverse",
        "no_reverse",
        "flat",
        "tree",
        "hide_kernel",
        "no_hide_kernel",
    ]
    .into_iter()
    .filter(|id| {
        let from_line = |m: &clap::ArgMatches| {
            m.try_get_raw(id).is_ok()
                && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        };
        from_line(m) || m.subcommand().is_some_and(|(_, sub)| from_line(sub))
    })
    .map(|id| format!("--{}", id.replace('_', "-")))
    .collect();
    (!given.is_empty()).then(|| {
        format!(
            "record draws nothing and prints no snapshot: {} would be ignored (use them with `threadtop replay FILE`)",
            given.join(", ")
        )
    })
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

/// The sort keys as clap's possible values: `--help` lists them, and so does the error
/// for a missing or unknown one (`-s --help`, `-s cpux`).
fn sort_keys() -> impl clap::builder::TypedValueParser<Value = SortKey> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(SortKey::SORTABLE.iter().map(|k| k.name()))
        .try_map(|s| SortKey::parse(&s).ok_or_else(|| format!("unknown sort key '{s}'")))
}

fn parse_delay(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    delay_from_secs(secs)
}

/// The refresh interval, `--delay` or `delay` in the config file: 0.05 to 3600 seconds.
pub fn delay_from_secs(secs: f64) -> Result<Duration, String> {
    if !(0.05..=3600.0).contains(&secs) {
        return Err(format!("{secs} s is out of range: use 0.05 to 3600"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A column list from the command line, validated as the config file's lists are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnList(pub Vec<Column>);

fn parse_columns(s: &str) -> Result<ColumnList, String> {
    let names: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    ColumnLayout::parse_list(&names).map(ColumnList)
}

/// The command line, and clap's record of where each value came from (the config file may
/// only fill in what the command line left at its default).
pub fn parse() -> (Cli, clap::ArgMatches) {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => (cli, matches),
        Err(e) => e.format(&mut Cli::command()).exit(),
    }
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
            cgroup: self
                .cgroup
                .as_deref()
                .map(crate::model::filter::Pattern::new),
            sort: self.sort,
            reverse: self.reverse,
            tree: !self.flat,
            hide_kernel: self.hide_kernel,
            ..ViewOptions::default()
        }
    }
}
