//! htop's habits through the real binary in a pseudo-terminal: the search line (F3, `n`),
//! the user filter (`w`), and htop's keys doing the same here or saying what ours is.

mod support;

use std::time::Duration;

use support::{spawn, workload};

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// The text of the table row drawn in reverse video (the selection, without colour).
fn selected_line(pty: &support::Pty) -> Option<String> {
    pty.with_screen(|s| {
        let (rows, cols) = s.size();
        // The table's header is drawn reversed too: the selection is a reversed row
        // below it.
        (0..rows.get())
            .filter(|&y| s.cell(y, 2).is_some_and(|c| c.inverse()))
            .map(|y| s.contents_between(y, 0, y, cols.get()))
            .find(|l| !(l.contains("TID") && l.contains("NAME")))
    })
}

/// The word of the selected row that contains `needle` (its name: the figures change).
fn selected_word(pty: &support::Pty, needle: &str) -> Option<String> {
    let line = selected_line(pty)?;
    line.split(|c: char| c.is_whitespace() || "├└─│".contains(c))
        .find(|w| w.contains(needle))
        .map(str::to_string)
}

/// Waits until the selected row has a word with `needle` other than `not`; returns it.
fn wait_selected(pty: &support::Pty, needle: &str, not: &str) -> String {
    pty.wait_for(&format!("selected row with {needle}"), WAIT, |_| {
        selected_word(pty, needle).is_some_and(|w| w != not)
    })
    .unwrap_or_else(|s| panic!("{s}"));
    selected_word(pty, needle).unwrap_or_default()
}

#[test]
fn f3_searches_without_hiding_rows_and_n_goes_on_to_the_next_match() {
    let w = workload(&["--name", "ttsearch", "--sleep", "3"]);
    let pid = w.pid.to_string();
    let mut pty = spawn(
        &["--delay", "0.5", "--flat", "--filter", &pid],
        &[("NO_COLOR", "1")],
        110,
        30,
    );
    pty.wait_for_all(&["sleep-0", "sleep-1", "sleep-2"], WAIT)
        .expect("table drawn");
    pty.send_key("F3");
    pty.wait_for_text("Search: ", WAIT).expect("search line");
    // "sleep-" is in the threads' names only (the command line says "--sleep 3").
    pty.send(b"sleep-");
    let first = wait_selected(&pty, "sleep-", "");
    // F3 on the line: the next match; nothing is hidden meanwhile.
    pty.send_key("F3");
    let second = wait_selected(&pty, "sleep-", &first);
    let screen = pty.screen_text();
    assert!(
        ["sleep-0", "sleep-1", "sleep-2"]
            .iter()
            .all(|n| screen.contains(n)),
        "{screen}"
    );
    // Enter keeps it; `n` then goes on, and after the third it wraps to the first.
    pty.send_key("Enter");
    pty.wait_for("search line closed", WAIT, |s| !s.contains("Search: "))
        .expect("closed");
    pty.send(b"n");
    let third = wait_selected(&pty, "sleep-", &second);
    assert_ne!(third, first);
    pty.send(b"n");
    pty.wait_for_text("wrapped to the top", WAIT)
        .expect("wraps");
    assert_eq!(
        selected_word(&pty, "sleep-").as_deref(),
        Some(first.as_str())
    );
    // No match: said, and the selection stays.
    pty.send_key("F3");
    pty.wait_for_text("Search: ", WAIT)
        .expect("search line again");
    pty.send_key("Ctrl-U");
    pty.send(b"zzqx");
    pty.wait_for_text("no match", WAIT).expect("no match said");
    pty.send_key("Esc");
    pty.wait_for("search line closed", WAIT, |s| !s.contains("Search: "))
        .expect("closed");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The name of the user that owns `pid` (as /etc/passwd says, else the UID).
fn owner(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let uid = s
                .lines()
                .find(|l| l.starts_with("Uid:"))?
                .split_whitespace()
                .nth(1)?
                .to_string();
            let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
            passwd
                .lines()
                .find(|l| l.split(':').nth(2) == Some(uid.as_str()))
                .and_then(|l| l.split(':').next().map(str::to_string))
                .or(Some(uid))
        })
        .expect("the workload's user")
}

#[test]
fn u_filters_by_a_user_shown_in_the_status_line_and_esc_clears_it() {
    let w = workload(&["--name", "ttuser", "--sleep", "1"]);
    let pid = w.pid.to_string();
    let me = owner(&pid);
    let mut pty = spawn(&["--delay", "0.5"], &[("NO_COLOR", "1")], 140, 30);
    pty.wait_for_text("rows", WAIT).expect("table drawn");
    pty.send(b"u");
    pty.wait_for_text("User: ", WAIT).expect("user prompt");
    pty.send_key("Esc");
    pty.wait_for("prompt closed", WAIT, |s| !s.contains("User: "))
        .expect("closed");
    // Typed: this user's processes, the workload among them, said on the status line.
    pty.send(b"u");
    pty.wait_for_text("User: ", WAIT).expect("user prompt");
    pty.send(me.as_bytes());
    pty.send_key("Enter");
    pty.wait_for_all(
        &[
            &format!("user \"{me}\""),
            "tree: matches and their ancestors",
        ],
        WAIT,
    )
    .expect("user filter in the status line");
    pty.send(b"/");
    pty.send(pid.as_bytes());
    pty.send_key("Enter");
    pty.wait_for_text("ttuser", WAIT)
        .expect("the workload is the user's");
    pty.send_key("Esc");
    pty.wait_for("filters cleared", WAIT, |s| {
        !s.contains("user \"") && s.contains("· tree ·")
    })
    .expect("Esc clears the user filter too");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

#[test]
fn htops_keys_do_the_same_or_say_what_ours_is() {
    let mut pty = spawn(&["--delay", "0.5"], &[("NO_COLOR", "1")], 150, 30);
    pty.wait_for_text("· tree ·", WAIT).expect("table drawn");
    let closed = |s: &str| !s.contains("Search: ") && !s.contains("Filter: ");
    // F9, htop's kill: the signal picker (README "Coming from htop") on the selected row,
    // once there are rows; Esc sends nothing.
    pty.wait_for("rows drawn", WAIT, |s| !support::table_lines(s).is_empty())
        .expect("rows");
    pty.send_key("F9");
    pty.wait_for_all(&["Send a signal", "SIGTERM"], WAIT)
        .expect("F9 opens the signal picker");
    pty.send_key("Esc");
    pty.wait_for_text("no signal sent", WAIT)
        .expect("F9's picker cancelled");
    // F3 search, F4 filter: their lines open; Esc closes them.
    for (key, prompt) in [("F3", "Search: "), ("F4", "Filter: ")] {
        pty.send_key(key);
        pty.wait_for_text(prompt, WAIT).expect(key);
        pty.send_key("Esc");
        pty.wait_for("prompt closed", WAIT, closed).expect(key);
    }
    // F5: tree / flat.
    pty.send_key("F5");
    pty.wait_for_text("· flat ·", WAIT).expect("F5 flat");
    pty.send_key("F5");
    pty.wait_for_text("· tree ·", WAIT).expect("F5 tree");
    // F6 and M: what to use instead.
    pty.send_key("F6");
    pty.wait_for_text("sort: use > / <", WAIT).expect("F6 says");
    pty.send(b"M");
    pty.wait_for_text("sort mem▼", WAIT)
        .expect("M sorts by memory");
    // T: by CPU time, most first.
    pty.send(b"T");
    pty.wait_for_text("sort time▼", WAIT)
        .expect("T sorts by time");
    // H and K: processes only, kernel threads hidden (htop's user / kernel threads).
    pty.send(b"H");
    pty.wait_for_text("processes only", WAIT).expect("H");
    pty.send(b"K");
    pty.wait_for_text("kernel threads hidden", WAIT).expect("K");
    // u: the user prompt, as htop.
    pty.send(b"u");
    pty.wait_for_text("User: ", WAIT).expect("u");
    pty.send_key("Esc");
    pty.wait_for("prompt closed", WAIT, |s| !s.contains("User: "))
        .expect("u closed");
    // F2: htop's setup is the column editor here.
    pty.send_key("F2");
    pty.wait_for_text(" Columns: ", WAIT).expect("F2");
    pty.send_key("F2");
    pty.wait_for("editor closed", WAIT, |s| !s.contains(" Columns: "))
        .expect("F2 closed");
    // F10 quits.
    pty.send_key("F10");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// Waits (polls) for the workload to end.
fn ends(w: &mut support::Workload) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if matches!(w.child.try_wait(), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Tags each named row (`m`) where the search (F3) puts the selection, one after another,
/// waiting for the footer's count each time: by TID order the rows are not always next to
/// each other (PIDs wrap: 388 and 301 seen on a busy machine).
fn tag_by_search(pty: &support::Pty, names: &[&str]) {
    for (k, name) in names.iter().enumerate() {
        pty.send_key("F3");
        pty.wait_for_text("Search: ", WAIT).expect("search line");
        pty.send_key("Ctrl-U");
        pty.send(name.as_bytes());
        pty.send_key("Enter");
        wait_selected(pty, name, "");
        pty.send(b"m");
        pty.wait_for_text(&format!("{} tagged", k + 1), WAIT)
            .expect("tagged");
    }
}

#[test]
fn m_tags_rows_and_a_signal_goes_to_every_tagged_process_after_saying_which() {
    let mut a = workload(&["--name", "tttaga", "--sleep", "1"]);
    let mut b = workload(&["--name", "tttagb", "--sleep", "1"]);
    let mut bystander = workload(&["--name", "tttagc", "--sleep", "1"]);
    let mut pty = spawn(
        &["--delay", "0.5", "--flat", "--filter", "tttag"],
        &[("NO_COLOR", "1")],
        150,
        30,
    );
    pty.wait_for_all(&["tttaga", "tttagb", "tttagc"], WAIT)
        .expect("listed");
    pty.send(b"H");
    pty.wait_for_text("processes only", WAIT)
        .expect("processes only");
    tag_by_search(&pty, &["tttaga", "tttagb"]);
    pty.wait_for_all(&["2 tagged", "*tttaga", "*tttagb"], WAIT)
        .expect("two tagged, marked");
    assert!(!pty.screen_text().contains("*tttagc"));
    // The signal goes to the tagged, whichever row is selected (the one after b now).
    pty.send(b"k");
    pty.wait_for_text("Send a signal", WAIT).expect("picker");
    pty.send_key("Enter");
    pty.wait_for_all(&["2 tagged:", "(tttaga)", "(tttagb)"], WAIT)
        .expect("the question says how many and which");
    pty.send(b"y");
    pty.wait_for_text("sent SIGTERM to 2 tagged", WAIT)
        .expect("sent");
    assert!(ends(&mut a) && ends(&mut b), "both tagged ended");
    assert!(
        matches!(bystander.child.try_wait(), Ok(None)),
        "the untagged one still runs"
    );
    // U untags (the two gone ones too).
    pty.send(b"U");
    pty.wait_for_text("untagged 2", WAIT).expect("untagged");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The name on the user prompt (`User: NAME`), if it is open.
fn user_prompt(screen: &str) -> Option<String> {
    screen
        .lines()
        .find_map(|l| l.split_once("User: "))
        .map(|(_, rest)| {
            // The name, then the text cursor (█) and, after two spaces, the keys' hint.
            let name = rest.split("  ").next().unwrap_or("");
            name.trim_end_matches('█').trim().to_string()
        })
}

#[test]
fn u_picks_the_user_with_the_arrows_without_typing() {
    let w = workload(&["--name", "ttuserarrow", "--sleep", "1"]);
    let pid = w.pid.to_string();
    let me = owner(&pid);
    let mut pty = spawn(&["--delay", "0.5"], &[("NO_COLOR", "1")], 140, 30);
    pty.wait_for("rows drawn", WAIT, |s| {
        !support::table_lines(s).is_empty() && s.contains(" rows")
    })
    .expect("table drawn");
    pty.send(b"u");
    pty.wait_for("an empty user prompt", WAIT, |s| {
        user_prompt(s).is_some_and(|n| n.is_empty())
    })
    .expect("user prompt");
    // ↓ steps through the users that own listed processes, sorted, wrapping: the
    // workload's owner is among them. Each step waits for the name to change.
    let next_user = |key: &str, from: &str| -> String {
        pty.send_key(key);
        let screen = pty
            .wait_for(&format!("{key} from user {from:?}"), WAIT, |s| {
                user_prompt(s).is_some_and(|n| !n.is_empty() && n != from)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        user_prompt(&screen).unwrap_or_default()
    };
    let first = next_user("Down", "");
    let mut seen = vec![first.clone()];
    let mut name = first.clone();
    while name != me {
        name = next_user("Down", &name);
        assert!(name != first, "{me} never came up: {seen:?}");
        seen.push(name.clone());
    }
    if seen.len() > 1 || name != first {
        // ↑ goes back the other way, ↓ forward again.
        let prev = next_user("Up", &me);
        assert_eq!(next_user("Down", &prev), me);
    } else {
        eprintln!("only one user owns listed processes: ↑ is not checked against ↓");
    }
    pty.send_key("Enter");
    pty.wait_for_all(&[&format!("user \"{me}\"")], WAIT)
        .expect("the user filter is on, said on the status line");
    pty.send(b"/");
    pty.send(pid.as_bytes());
    pty.send_key("Enter");
    pty.wait_for_text("ttuserarrow", WAIT)
        .expect("the workload is listed under its user");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}

/// The nice field of every thread of `pid`, by TID.
fn nices(w: &support::Workload) -> Vec<(u32, Option<i64>)> {
    w.tids()
        .into_iter()
        .map(|tid| {
            let stat = std::fs::read(format!("/proc/{}/task/{tid}/stat", w.pid)).ok();
            let nice = stat
                .as_deref()
                .and_then(threadtop::collect::parse::parse_stat)
                .map(|s| s.nice);
            (tid, nice)
        })
        .collect()
}

/// The CPUs every thread of `pid` may run on (Cpus_allowed_list), by TID.
fn cpus_allowed(w: &support::Workload) -> Vec<(u32, String)> {
    w.tids()
        .into_iter()
        .map(|tid| {
            let status = std::fs::read_to_string(format!("/proc/{}/task/{tid}/status", w.pid))
                .unwrap_or_default();
            let list = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_string())
                .unwrap_or_default();
            (tid, list)
        })
        .collect()
}

/// Polls until `f` holds (the change is made by threadtop, in its own time).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn nice_and_affinity_go_to_every_tagged_process_after_saying_which() {
    let online = std::thread::available_parallelism().map_or(1, |n| n.get());
    let a = workload(&["--name", "ttnicea", "--sleep", "2"]);
    let b = workload(&["--name", "ttniceb", "--sleep", "2"]);
    let bystander = workload(&["--name", "ttnicec", "--sleep", "2"]);
    let before_c = (nices(&bystander), cpus_allowed(&bystander));
    assert!(
        nices(&a)
            .iter()
            .chain(&nices(&b))
            .all(|(_, n)| *n == Some(0)),
        "the workloads start at nice 0"
    );
    let mut pty = spawn(
        &["--delay", "0.5", "--flat", "--filter", "ttnice"],
        &[("NO_COLOR", "1")],
        150,
        30,
    );
    pty.wait_for_all(&["ttnicea", "ttniceb", "ttnicec"], WAIT)
        .expect("listed");
    pty.send(b"H");
    pty.send(b"<");
    pty.wait_for_text("processes only", WAIT)
        .expect("processes only");
    tag_by_search(&pty, &["ttnicea", "ttniceb"]);
    pty.wait_for_all(&["2 tagged", "*ttnicea", "*ttniceb"], WAIT)
        .expect("two tagged");
    // Nice +1: the question names both; yes changes every thread of both.
    pty.send(b"+");
    // (Wrapped in the popup at word boundaries: each name whole.)
    pty.wait_for_all(&["Nice +1", "2 tagged:", "(ttnicea)", "(ttniceb)"], WAIT)
        .expect("the question says how many and which");
    pty.send(b"y");
    pty.wait_for_text("nice 0 → 1", WAIT).expect("done, said");
    eventually("every tagged thread at nice 1", || {
        nices(&a)
            .iter()
            .chain(&nices(&b))
            .all(|(_, n)| *n == Some(1))
    });
    assert_eq!(
        nices(&bystander),
        before_c.0,
        "the untagged one is unchanged"
    );
    if online < 2 {
        eprintln!("affinity on tagged rows not checked: {online} CPU online, nothing to narrow");
    } else {
        // Affinity: the picker for the tagged, none then CPU 0 only, Enter asks, yes sets.
        pty.send(b"a");
        pty.wait_for_all(&["2 tagged:", "(ttnicea)"], WAIT)
            .expect("the CPU picker names the tagged");
        pty.send(b"n");
        pty.send(b"x");
        pty.send_key("Enter");
        pty.wait_for_all(
            &["Let 2 tagged:", "(ttnicea)", "(ttniceb)", "CPUs 0?"],
            WAIT,
        )
        .expect("the question says which");
        pty.send(b"y");
        pty.wait_for_text("may now run on CPUs 0", WAIT)
            .expect("set, said");
        eventually("every tagged thread on CPU 0 only", || {
            cpus_allowed(&a)
                .iter()
                .chain(&cpus_allowed(&b))
                .all(|(_, l)| l == "0")
        });
        assert_eq!(
            cpus_allowed(&bystander),
            before_c.1,
            "the untagged one is unchanged"
        );
    }
    pty.send(b"q");
    assert_eq!(pty.wait_exit(WAIT).expect("exits").code(), Some(0));
}
