//! Runs what `update` asked for outside the app's state: the only place the app touches
//! the system, so `update` stays pure and a replay refuses every change in one place.

use std::path::Path;

use super::effects::{ActRequest, Effects, HandOff};
use super::state::App;
use crate::act::{self, nice, signal};

/// Runs the act request of `fx`, if any, and hands back what happened: a read to the
/// state that asked for it, anything else as a line in the footer.
pub fn apply(app: &mut App, fx: &Effects) {
    match &fx.act {
        None => {}
        Some(ActRequest::ReadAffinity { tasks }) => {
            let read = act::affinity::get(&app.proc_root, tasks);
            app.affinity_read(tasks, read);
        }
        Some(ActRequest::FindTools { programs }) => {
            let path = std::env::var_os("PATH");
            let found: Vec<bool> = programs
                .iter()
                .map(|p| act::tool::installed(p, path.as_deref()))
                .collect();
            app.tools_found(programs, &found);
        }
        Some(req) => app.status = Some(execute(req, &app.proc_root, app.replay.is_some())),
    }
}

/// Runs the tool of a hand-off (`!`) in this terminal: the task re-checked first (a TID
/// the kernel gave to another task since is refused), the input thread held off the
/// terminal, the screen given back as for Ctrl-Z, the tool run in the foreground until
/// it ends, a key awaited so its last output can be read, the screen taken back. The
/// status line then says how it ended. `Ok(true)`: the screen must be drawn anew.
/// `hold(true)` is called once the tool is sure to start, `hold(false)` when it has ended:
/// the loop stops the collector meanwhile (see `Source::hold`).
pub fn hand_off(app: &mut App, h: &HandOff, hold: &mut dyn FnMut(bool)) -> std::io::Result<bool> {
    if app.replay.is_some() {
        app.status = Some(super::tools::REPLAY_REFUSAL.into());
        return Ok(false);
    }
    if let Some(k) = h
        .check
        .iter()
        .find(|k| !act::still_same_task(&app.proc_root, **k))
    {
        app.status = Some(format!(
            "{}: {} not started",
            act::not_the_same(&app.proc_root, k.tid),
            h.tool
        ));
        return Ok(false);
    }
    // The input thread lets go of the terminal at once (its wait is woken), as a rule.
    if !super::input_gate::pause(std::time::Duration::from_secs(5)) {
        app.status = Some(format!(
            "{} not started: threadtop's input thread did not let go of the terminal",
            h.tool
        ));
        return Ok(false);
    }
    hold(true);
    let held = crate::terminal::release();
    crate::terminal::note_out(&format!(
        "threadtop: {} on {}: {}",
        h.tool, h.words, h.shown
    ));
    let said = match act::tool::run_foreground(&h.argv) {
        Ok(act::tool::Ended::Exited(code)) => format!("{} ended: exit status {code}", h.tool),
        Ok(e) => format!("{} {}", h.tool, e.describe()),
        Err(e) => act::tool::start_error(&h.tool, &e),
    };
    crate::terminal::wait_for_key(&format!("threadtop: {said}; press a key to return "));
    let back = crate::terminal::take_back(held);
    super::input_gate::resume();
    hold(false);
    app.status = Some(said);
    back.map(|()| true)
}

/// Does `req` and says what happened, in a line for the footer. In a replay, whatever
/// would change the system is refused.
pub fn execute(req: &ActRequest, proc_root: &Path, replay: bool) -> String {
    if replay && req.changes_system() {
        return act::REPLAY_REFUSAL.into();
    }
    match req {
        ActRequest::Signal {
            target,
            to,
            signal: sig,
        } => match signal::send(proc_root, to, sig) {
            Ok(sent) if sent.gone > 0 => format!(
                "sent {} to {} of {} ({} had exited)",
                sig.full_name(),
                sent.signalled,
                target,
                sent.gone
            ),
            Ok(_) => format!("sent {} to {}", sig.full_name(), target),
            Err(why) => format!("could not send {}: {why}", sig.full_name()),
        },
        ActRequest::Affinity {
            target,
            tasks,
            cpus,
        } => {
            let list = act::affinity::describe(cpus);
            match act::affinity::set(proc_root, tasks, cpus) {
                Ok(n) => format!("{target} may now run on CPUs {list} ({n} set)"),
                Err(why) => format!("could not set affinity: {why}"),
            }
        }
        ActRequest::Nice {
            words,
            tasks,
            delta,
        } => match nice::step(proc_root, tasks, *delta) {
            Ok(r) if r.changed == 0 => format!(
                "{words}: already at nice {}, the {}",
                nice::describe(r.now),
                if *delta > 0 { "highest" } else { "lowest" }
            ),
            Ok(r) => {
                let mut msg = format!(
                    "{words}: nice {} → {}",
                    nice::describe(r.was),
                    nice::describe(r.now)
                );
                if r.at_limit > 0 {
                    msg.push_str(&format!(" ({} already at the limit)", r.at_limit));
                }
                if r.gone > 0 {
                    msg.push_str(&format!(" ({} had exited)", r.gone));
                }
                msg
            }
            Err(why) => format!("could not change nice: {why}"),
        },
        ActRequest::FindTools { programs } => {
            let path = std::env::var_os("PATH");
            let missing: Vec<&str> = programs
                .iter()
                .filter(|p| !act::tool::installed(p, path.as_deref()))
                .map(String::as_str)
                .collect();
            format!("not installed: {}", missing.join(", "))
        }
        ActRequest::ReadAffinity { tasks } => match act::affinity::get(proc_root, tasks) {
            Ok((cpus, _)) => format!("may run on CPUs {}", act::affinity::describe(&cpus)),
            Err(why) => format!("could not read the affinity: {why}"),
        },
        ActRequest::SaveColumns { path, layout } => {
            let Some(path) = path else {
                return "cannot save: no config directory (set XDG_CONFIG_HOME or HOME)".into();
            };
            match act::save_columns::save_columns(path, layout, crate::config::DEFAULT_CONFIG) {
                Ok(()) => format!(
                    "columns saved to {}",
                    crate::text::escape(path.as_os_str().as_encoded_bytes())
                ),
                Err(e) => format!("columns not saved: {}", crate::text::escape(e.as_bytes())),
            }
        }
    }
}
