//! threadtop's entry point: the CLI, the terminal's set-up and restore, the exit status.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;

use color_eyre::eyre::{Result, WrapErr};

use threadtop::app::App;
use threadtop::app::replay::Player;
use threadtop::app::run::{self, Exit};
use threadtop::cli::{Cli, Command};
use threadtop::collect::{DetailPlan, Scanner, events};
use threadtop::config::{self, ConfigEnv, Loaded};
use threadtop::model::Model;
use threadtop::record::Recording;
use threadtop::ui::theme::{Env, Theme};
use threadtop::{json, terminal};

fn main() -> ExitCode {
    // Started again by itself to load the BPF programs (see events::handover).
    if let Some(status) = events::handover::run_child_if_asked() {
        return ExitCode::from(status);
    }
    threadtop::collect::heap::tune_allocator();
    events::handover::use_child_process();
    let (mut cli, matches) = threadtop::cli::parse();
    if cli.print_config {
        let mut stdout = std::io::stdout().lock();
        return match stdout
            .write_all(config::DEFAULT_CONFIG.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(BROKEN_PIPE),
            Err(e) => {
                eprintln!("threadtop: writing the default config: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(what) = cli.generate {
        let mut stdout = std::io::stdout().lock();
        return match threadtop::cli::generate(what, &mut stdout).and_then(|()| stdout.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(BROKEN_PIPE),
            Err(e) => {
                eprintln!("threadtop: writing the {what:?} output: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if matches!(cli.command, Some(Command::Record { .. }))
        && let Some(e) = threadtop::cli::record_misuse(&matches)
    {
        eprintln!("threadtop: {e}");
        return ExitCode::from(2);
    }
    if cli.count.is_some() && !cli.json && !cli.batch {
        eprintln!("threadtop: --count goes with --json or --batch");
        return ExitCode::from(2);
    }
    // The whole config is read and checked before anything starts: a bad file is one error
    // and exit status 2, as for a bad flag.
    let loaded = match config::load(&mut cli, &matches, &ConfigEnv::read()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("threadtop: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(note) = &loaded.note
        && (cli.json || matches!(cli.command, Some(Command::Record { .. })))
    {
        // No screen to show it on.
        eprintln!("threadtop: {note}");
    }
    let replay = match &cli.command {
        Some(Command::Record { file, duration }) => return record(&cli, file, *duration),
        Some(Command::Replay { file, at }) if cli.json => {
            return report(replay_json(&cli, file, at.as_deref()));
        }
        Some(Command::Replay { file, at }) => match open_recording(file, at.as_deref()) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("threadtop: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    if cli.json || cli.batch {
        let printed = if cli.json {
            print_json(&cli)
        } else {
            print_batch(&cli, &loaded)
        };
        return match printed {
            Ok(()) => ExitCode::SUCCESS,
            Err(JsonError::BrokenPipe) => ExitCode::from(BROKEN_PIPE),
            Err(JsonError::Other(e)) => {
                eprintln!("threadtop: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "threadtop: not a terminal (stdin and stdout must be one); for scripts use `threadtop --json`"
        );
        return ExitCode::from(2);
    }
    // The terminal, its input reader, the signal pipe and the scanner need about a dozen
    // descriptors: at 9-11 the input reader failed to start, reported as "terminal lost".
    const MIN_DESCRIPTORS: u64 = 16;
    if let Some(n) = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum
        && n < MIN_DESCRIPTORS
    {
        eprintln!(
            "threadtop: out of file descriptors: RLIMIT_NOFILE allows {n}, the display needs at least {MIN_DESCRIPTORS} (raise it with `ulimit -n`, or use `threadtop --json`)"
        );
        return ExitCode::from(2);
    }
    if let Some(term) = unusable_term() {
        eprintln!(
            "threadtop: TERM={term} cannot show a full-screen display; set TERM to your terminal's type (e.g. xterm-256color, linux, vt100) or use `threadtop --json`"
        );
        return ExitCode::from(2);
    }
    // `--events on` is loaded before the screen is taken, so that it fails with its
    // reason on a normal terminal; `auto` loads in the background once the first frame
    // is drawn (`None` here), `off` loads nothing. The collector reads the source once a tick.
    let start = match replay {
        Some(_) => None,
        None if cli.events == events::Mode::Auto => None,
        None => match events::source::start_with(cli.events, cli.pids.is_empty()) {
            Ok(start) => Some(start),
            Err(why) => {
                eprintln!("threadtop: --events on: scheduling events cannot run: {why}");
                return ExitCode::FAILURE;
            }
        },
    };
    if let Err(e) = color_eyre::install() {
        eprintln!("threadtop: {e}");
    }
    terminal::install_panic_hook();
    let outcome = match replay {
        Some((player, start)) => run_replay(&cli, &loaded, player, start),
        None => run_tui(&cli, &loaded, start),
    };
    terminal::restore();
    match outcome {
        Ok(Exit::Quit) => {
            // The prompt does not wait for the kernel to detach the events.
            events::linger::hand_over();
            ExitCode::SUCCESS
        }
        Ok(Exit::Signal(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        // Not eprintln!: stderr is usually the terminal that just went away, and a failed
        // eprintln! panics (the panic report then failed too: SIGABRT instead of 129).
        Ok(Exit::TerminalLost(why)) => {
            terminal::note(&format!("threadtop: terminal lost: {why}"));
            ExitCode::from(129)
        }
        // A write to the terminal failed because it is gone (EIO, EPIPE), or the terminal is
        // no longer ours: the same end as noticing it.
        Err(e)
            if e.chain().any(terminal::is_lost)
                || !std::io::stdout().is_terminal()
                || !std::io::stdin().is_terminal() =>
        {
            terminal::note(&format!("threadtop: terminal lost: {e}"));
            ExitCode::from(129)
        }
        Err(e) => {
            terminal::note(&format!("threadtop: {e:?}"));
            ExitCode::FAILURE
        }
    }
}

/// Termination signals reach the loop as events.
fn forward_signals(tx: &mpsc::Sender<run::Event>) -> Result<()> {
    let tx = tx.clone();
    terminal::forward_signals(move |sig| {
        // A tool handed the terminal (`!`) ends with threadtop: the loop waits for it.
        threadtop::act::tool::signal_running(sig);
        tx.send(run::Event::Signal(sig)).is_ok()
    })
    .wrap_err("installing signal handlers")
}

fn run_tui(cli: &Cli, loaded: &Loaded, start: Option<events::source::Start>) -> Result<Exit> {
    // First, while this is the only thread: later, growing the table waits for the kernel.
    threadtop::collect::prepare_descriptor_table(&cli.proc_root);
    let (tx, rx) = mpsc::channel();
    forward_signals(&tx)?;
    let mut app = App::new(cli.view_options(), cli.delay);
    app.column_layout = loaded.columns.clone();
    app.tools.clone_from(&loaded.tools);
    if let Some(f) = &cli.filter {
        app = app.with_filter_text(f);
    }
    app.config_path.clone_from(&loaded.save_to);
    app.status.clone_from(&loaded.note);
    let theme = theme(cli, loaded);
    let mut term =
        terminal::enter(theme.color, !cli.no_mouse).wrap_err("setting up the terminal")?;
    test_panic(&mut term);
    events::linger::arm();
    let feed = match start {
        Some(start) => events::source::Feed::new(start),
        None => events::source::Feed::load_after_first_frame(cli.pids.is_empty()),
    };
    run::run(
        &mut term,
        app,
        cli.proc_root.clone(),
        theme,
        Some(feed),
        tx,
        rx,
    )
}

/// Colour and glyphs: `--color` and `--ascii` against NO_COLOR, TERM and COLORTERM, with
/// the theme's colours reduced to the terminal's depth.
/// crossterm honours NO_COLOR on its own: told the decision, it emits colour for `--color
/// always` and, whatever a pane asks for, none for `never`.
fn theme(cli: &Cli, loaded: &Loaded) -> Theme {
    let theme = Theme::detect(cli.color, cli.ascii, &Env::read()).with_palette(loaded.palette);
    crossterm::style::force_color_output(theme.color);
    theme
}

/// A terminal type that cannot address the cursor: a full-screen display would be garbage
/// (Emacs shell buffers and some CI runners set `TERM=dumb`).
fn unusable_term() -> Option<String> {
    let term = std::env::var("TERM").ok()?;
    matches!(term.as_str(), "dumb" | "unknown").then_some(term)
}

/// Test-only (not a user feature): `THREADTOP_TEST_PANIC=main` panics on the main thread
/// after the first frame, `=thread` panics on another thread, so the end-to-end tests can
/// prove that a panic anywhere restores the terminal and exits with status 101.
fn test_panic(term: &mut terminal::Tui) {
    let Some(how) = std::env::var_os("THREADTOP_TEST_PANIC") else {
        return;
    };
    let _ = term.draw(|f| {
        f.render_widget(
            ratatui::widgets::Paragraph::new("THREADTOP_TEST_PANIC=about-to-panic"),
            f.area(),
        )
    });
    if how == "thread" {
        let _ = std::thread::Builder::new()
            .name("tt-test-panic".into())
            .spawn(|| {
                panic!("THREADTOP_TEST_PANIC=thread: a deliberate panic off the main thread")
            });
    } else {
        panic!("THREADTOP_TEST_PANIC: a deliberate panic after the first frame");
    }
}

/// Exit status when stdout is a pipe its reader closed (`threadtop --json | head -c1`):
/// 128 + SIGPIPE, what a shell reports for tools killed by SIGPIPE, without a message.
const BROKEN_PIPE: u8 = 141;

/// `--json`: one snapshot, pretty-printed; with `--count`, N (0: until stopped), one
/// compact object per line (NDJSON). Each has rates over one `--delay`.
fn print_json(cli: &Cli) -> Result<(), JsonError> {
    let opts = cli.view_options();
    // JSON has every field: storage I/O per task and statm per process too.
    let plan = DetailPlan {
        io: true,
        memory: true,
        ..DetailPlan::all()
    };
    each_tick(cli, &plan, cli.events, |model| {
        // What every listed task shares (kcmp and namespaces): one comparison pass, sorted.
        let shares =
            threadtop::collect::share::compute(&cli.proc_root, &json::tasks_shown(model, &opts));
        let out = json::build(model, &opts, &shares);
        let mut text = if cli.count.is_some() {
            serde_json::to_vec(&out)
        } else {
            serde_json::to_vec_pretty(&out)
        }
        .wrap_err("encoding JSON")
        .map_err(JsonError::Other)?;
        text.push(b'\n');
        Ok(text)
    })
}

/// `--batch`: a text table per tick, like `top -b -H`: a header line, the columns shown on
/// screen (the basic set), every row, a blank line.
fn print_batch(cli: &Cli, loaded: &Loaded) -> Result<(), JsonError> {
    use threadtop::model::columns::ColumnSet;
    let opts = cli.view_options();
    let theme = if cli.ascii {
        Theme::mono().ascii()
    } else {
        Theme::mono()
    };
    // Wide enough for long command lines: the NAME column is last and lines are trimmed.
    const WIDTH: u16 = 512;
    each_tick(cli, &DetailPlan::all(), events::Mode::Off, |model| {
        let rows = model.rows(&opts);
        let s = &model.summary;
        let sys = &model.current.system;
        let load = sys.load.map_or("-".into(), |l| {
            format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2])
        });
        let up = sys
            .uptime_secs
            .map_or("-".into(), threadtop::model::format::uptime);
        let mut text = format!(
            "threadtop - up {up}, load {load}, {} {}, {} {}: {} R, {} S, {} D, {} I, {} T, {} Z\n",
            s.tasks,
            plural(s.tasks, "task", "tasks"),
            s.processes,
            plural(s.processes, "process", "processes"),
            s.runnable,
            s.sleeping,
            s.disk_sleep,
            s.idle,
            s.stopped,
            s.zombie,
        );
        let columns = loaded.columns.get(ColumnSet::Basic);
        for line in
            threadtop::ui::tree::table_text(&rows, columns, opts.sort, opts.reverse, WIDTH, theme)
        {
            text.push_str(&line);
            text.push('\n');
        }
        text.push('\n');
        Ok(text.into_bytes())
    })
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Scans, then once per `--delay` scans again and writes what `print` makes of the model
/// (rates over that interval): once, or `--count` times (0: until stopped). The ticks keep
/// to the clock: time spent scanning and printing is taken off the next wait.
fn each_tick(
    cli: &Cli,
    plan: &DetailPlan,
    events_mode: events::Mode,
    mut print: impl FnMut(&Model) -> Result<Vec<u8>, JsonError>,
) -> Result<(), JsonError> {
    // Loaded before the first scan: that scan starts the interval the events count over.
    let mut events = events::source::Feed::new(
        events::source::start_with(events_mode, cli.pids.is_empty()).map_err(|why| {
            JsonError::Other(color_eyre::eyre::eyre!(
                "--events on: scheduling events cannot run: {why}"
            ))
        })?,
    );
    let mut scanner = Scanner::new(&cli.proc_root).only(&cli.pids);
    if cli.pids.is_empty() {
        scanner = match events.take_task_iter() {
            Some(loaded) => scanner.with_loaded_task_iter(loaded),
            None => scanner.with_task_iter(cli.events),
        };
    } else if cli.events != events::Mode::Off {
        // Not loaded with the events either (`start_with`).
        scanner = scanner.without_task_iter(threadtop::collect::task_iter::NOT_WITH_PIDS);
    }
    let mut first = scanner.scan(plan);
    events.fill(&mut first);
    let mut previous = Arc::new(first);
    let mut sampler = threadtop::collect::waits::Sampler::new(&cli.proc_root);
    let count = cli.count.unwrap_or(1);
    let start = std::time::Instant::now();
    let mut printed: u64 = 0;
    loop {
        let due = start
            + cli
                .delay
                .saturating_mul(u32::try_from(printed + 1).unwrap_or(u32::MAX));
        // What the listed tasks wait on, sampled until the scan is due, within the TUI's
        // budget (a tenth of a scan), and at least 10 rounds when few are listed (`-p`: 100
        // tasks cost about 0.5 ms a round). A whole machine listed gets what the budget
        // allows: a round over 12,000 tasks costs about 40 % of a scan, so none.
        let listed = json::tasks_shown(
            &Model::new(None, Arc::clone(&previous)),
            &cli.view_options(),
        );
        sampler.set_tasks(
            listed
                .iter()
                .filter(|t| !t.kernel)
                .map(|t| (t.tgid, t.key.tid))
                .collect(),
        );
        let min_rounds = sampler.min_rounds();
        sampler.sample_during(
            due.saturating_duration_since(std::time::Instant::now()),
            std::time::Duration::from_nanos(previous.scan_ns),
            min_rounds,
        );
        let mut current = scanner.scan(plan);
        events.fill(&mut current);
        let waits = sampler.take();
        if waits.rounds > 0 {
            current.waits = Some(Arc::new(waits));
        }
        let current = Arc::new(current);
        let model = Model::new(Some(previous), Arc::clone(&current));
        let text = print(&model)?;
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&text)
            .and_then(|()| stdout.flush())
            .map_err(|e| match e.kind() {
                // A closed pipe (`| head`) is the reader's choice: no message.
                std::io::ErrorKind::BrokenPipe => JsonError::BrokenPipe,
                _ => JsonError::Other(color_eyre::eyre::Report::new(e).wrap_err("writing")),
            })?;
        printed += 1;
        if count != 0 && printed >= count {
            return Ok(());
        }
        previous = current;
    }
}

enum JsonError {
    BrokenPipe,
    Other(color_eyre::eyre::Report),
}

impl From<color_eyre::eyre::Report> for JsonError {
    fn from(e: color_eyre::eyre::Report) -> Self {
        JsonError::Other(e)
    }
}

fn report(r: std::result::Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("threadtop: {e}");
            ExitCode::FAILURE
        }
    }
}

fn record(cli: &Cli, file: &std::path::Path, duration: Option<std::time::Duration>) -> ExitCode {
    // Recordings read /proc (the iterator is not loaded for them).
    let start = match events::source::start_with(cli.events, false) {
        Ok(start) => start,
        Err(why) => {
            eprintln!("threadtop: --events on: scheduling events cannot run: {why}");
            return ExitCode::FAILURE;
        }
    };
    let opts = threadtop::record::run::Options {
        proc_root: &cli.proc_root,
        file,
        interval: cli.delay,
        duration,
        pids: &cli.pids,
        events: Some(start),
    };
    report(threadtop::record::run::record(opts).map(|(ticks, bytes)| {
        eprintln!(
            "threadtop: recorded {ticks} {} to {}: {bytes} bytes ({} per tick)",
            if ticks == 1 { "tick" } else { "ticks" },
            file.display(),
            bytes / ticks.max(1)
        );
    }))
}

/// Opens a recording and finds where to start (`--at`), printing its warnings.
fn open_recording(
    file: &std::path::Path,
    at: Option<&str>,
) -> std::result::Result<(Player, usize), String> {
    let rec = Recording::open(file)?;
    for w in &rec.warnings {
        eprintln!("threadtop: warning: {}: {w}", file.display());
    }
    if rec.ticks.is_empty() {
        return Err(format!(
            "{}: the recording has no complete tick",
            file.display()
        ));
    }
    let player = Player::new(rec);
    let start = match at {
        Some(t) => player.tick_at(t)?,
        None => 0,
    };
    Ok((player, start))
}

fn replay_json(
    cli: &Cli,
    file: &std::path::Path,
    at: Option<&str>,
) -> std::result::Result<(), String> {
    let (mut player, i) = open_recording(file, at)?;
    // Rates need the tick before; the first tick has none and says so with nulls.
    let model = player.model_at(i)?;
    let mut out = json::build(&model, &cli.view_options(), &Default::default());
    out.recording = Some(player.tick_info(i));
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &out).map_err(|e| format!("writing JSON: {e}"))?;
    let _ = writeln!(stdout);
    Ok(())
}

fn run_replay(cli: &Cli, loaded: &Loaded, player: Player, start: usize) -> Result<Exit> {
    let (tx, rx) = mpsc::channel();
    forward_signals(&tx)?;
    let mut app = App::new(cli.view_options(), player.recorded_interval());
    app.column_layout = loaded.columns.clone();
    if let Some(f) = &cli.filter {
        app = app.with_filter_text(f);
    }
    app.config_path.clone_from(&loaded.save_to);
    app.status.clone_from(&loaded.note);
    let theme = theme(cli, loaded);
    let mut term =
        terminal::enter(theme.color, !cli.no_mouse).wrap_err("setting up the terminal")?;
    threadtop::app::replay::run(&mut term, app, player, start, theme, tx, rx)
}
