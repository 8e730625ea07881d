//! threadtop's entry point: the CLI, the terminal's set-up and restore, the exit status.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr};

use threadtop::app::App;
use threadtop::app::run::{self, Exit};
use threadtop::cli::Cli;
use threadtop::collect::{DetailPlan, Scanner};
use threadtop::model::Model;
use threadtop::ui::theme::Theme;
use threadtop::{json, terminal};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.json {
        return match print_json(&cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
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
    if let Err(e) = color_eyre::install() {
        eprintln!("threadtop: {e}");
    }
    terminal::install_panic_hook();
    let outcome = run_tui(&cli);
    terminal::restore();
    match outcome {
        Ok(Exit::Quit) => ExitCode::SUCCESS,
        Ok(Exit::Signal(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        Ok(Exit::TerminalLost(why)) => {
            eprintln!("threadtop: terminal lost: {why}");
            ExitCode::from(129)
        }
        Err(e) => {
            eprintln!("threadtop: {e:?}");
            ExitCode::FAILURE
        }
    }
}

fn run_tui(cli: &Cli) -> Result<Exit> {
    let (tx, rx) = mpsc::channel();
    terminal::forward_signals(tx.clone()).wrap_err("installing signal handlers")?;
    let mut app = App::new(cli.view_options(), cli.delay);
    if let Some(f) = &cli.filter {
        app = app.with_filter_text(f);
    }
    let mut term = terminal::enter().wrap_err("setting up the terminal")?;
    run::run(
        &mut term,
        app,
        cli.proc_root.clone(),
        Theme::from_env(),
        tx,
        rx,
    )
}

fn print_json(cli: &Cli) -> Result<()> {
    let mut scanner = Scanner::new(&cli.proc_root);
    let plan = DetailPlan::all();
    let first = Arc::new(scanner.scan(&plan));
    std::thread::sleep(cli.delay);
    let second = Arc::new(scanner.scan(&plan));
    let model = Model::new(Some(first), second);
    let opts = cli.view_options();
    // What every listed task shares (kcmp and namespaces): one comparison pass, sorted.
    let shares =
        threadtop::collect::share::compute(&cli.proc_root, &json::tasks_shown(&model, &opts));
    let out = json::build(&model, &opts, &shares);
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &out).wrap_err("writing JSON")?;
    // A closed pipe (`| head`) is the reader's choice, not our failure.
    let _ = writeln!(stdout);
    Ok(())
}
