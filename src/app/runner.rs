//! Runs what `update` asked for outside the app's state: the only place the app touches
//! the system, so `update` stays pure and a replay refuses every change in one place.

use std::path::Path;

use super::effects::{ActRequest, Effects};
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
        Some(req) => app.status = Some(execute(req, &app.proc_root, app.replay.is_some())),
    }
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
