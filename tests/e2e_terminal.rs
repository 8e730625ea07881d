//! The real binary in a pseudo-terminal under different terminal types and colour settings:
//! xterm-256color (Unicode, colour), TERM=linux (ASCII glyphs), NO_COLOR and `--color`.
//! The screen must say the same things in each; only the glyphs and the colours differ.
//! Waits poll generously; nothing asserts a duration.

mod support;

use std::time::Duration;

use support::{Pty, THREADTOP, Workload, sets_colour, workload};
use threadtop::ui::theme::Glyphs;

/// The suite's wait for a state (generous: see `DEFAULT_TIMEOUT`).
const WAIT: Duration = support::DEFAULT_TIMEOUT;

/// A thread whose name is not ASCII: its bytes are the only ones ≥ 0x80 allowed on a
/// TERM=linux screen.
const WIDE_NAME: &str = "naïve-線";

fn start_workload() -> Workload {
    workload(&[
        "--name",
        "tt-term",
        "--sleep",
        "2",
        "--thread-name",
        WIDE_NAME,
        "--seconds",
        "300",
    ])
}

fn names(w: &Workload) -> Vec<String> {
    w.threads
        .iter()
        .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
        .collect()
}

/// Starts threadtop on the workload only, sorted by TID (a stable order), and waits until
/// every thread's TID and name are on screen.
fn show(w: &Workload, args: &[&str], env: &[(&str, &str)]) -> (Pty, String) {
    let pid = w.pid.to_string();
    let mut all = vec!["--delay", "0.2", "--sort", "tid", "-p", &pid];
    all.extend_from_slice(args);
    let pty = Pty::spawn(THREADTOP, &all, env, 160, 30).expect("start threadtop in a pty");
    let tids = w.tids();
    let names = names(w);
    let screen = pty
        .wait_for("every thread of the workload", WAIT, |s| {
            tids.iter().all(|t| s.contains(&t.to_string()))
                && names.iter().all(|n| s.contains(n.as_str()))
                && s.contains("Load")
                && s.contains(" rows")
        })
        .unwrap_or_else(|e| panic!("{args:?} {env:?}: {e}"));
    (pty, screen)
}

fn quit(mut pty: Pty) -> Vec<u8> {
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).expect("threadtop exits");
    assert_eq!(status.code(), Some(0));
    pty.raw_output()
}

/// What a screen says, glyphs made ASCII: the table's rows as (TID, TGID, USER, NAME
/// column), the column titles, the header's labels and the first footer line.
#[derive(Debug, PartialEq)]
struct Info {
    columns: Vec<String>,
    rows: Vec<(String, String, String, String)>,
    labels: Vec<&'static str>,
    footer: String,
}

const LABELS: [&str; 15] = [
    "Tasks", "process", "runnable", "sleeping", "idle", "disk", "stopped", "zombie", "Threads",
    "user", "kernel", "Load", "Mem", "Every", "Up",
];

fn info(screen: &str, tids: &[u32]) -> Info {
    // A name cut with "..." (ASCII) keeps two cells less of itself than one cut with "…".
    let screen: String = screen
        .lines()
        .map(|l| match l.strip_suffix('…') {
            Some(cut) => {
                // ASCII's "..." takes two more columns than "…": drop two columns of text,
                // which is one character when the last one is wide (a CJK name).
                let mut cut = cut.to_string();
                let mut dropped = 0;
                while dropped < 2 {
                    match cut.pop() {
                        Some(c) => {
                            dropped += unicode_width::UnicodeWidthChar::width(c).unwrap_or(1)
                        }
                        None => break,
                    }
                }
                cut + "..."
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let screen = Glyphs::ASCII.text(&screen);
    let lines: Vec<&str> = screen.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.trim_start().starts_with("TID"))
        .unwrap_or_else(|| panic!("no table header:\n{screen}"));
    let name_at = lines[head]
        .chars()
        .collect::<Vec<_>>()
        .windows(4)
        .position(|w| w.iter().collect::<String>() == "NAME")
        .unwrap_or_else(|| panic!("no NAME column:\n{screen}"));
    let rows = lines[head + 1..]
        .iter()
        .filter_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let tid: u32 = t.first()?.parse().ok()?;
            tids.contains(&tid).then(|| {
                (
                    t[0].to_string(),
                    t.get(1).map_or("", |v| v).to_string(),
                    t.get(2).map_or("", |v| v).to_string(),
                    l.chars().skip(name_at).collect::<String>(),
                )
            })
        })
        .collect();
    let header_text = lines[..head].join("\n");
    let header_words: Vec<&str> = header_text.split(|c: char| !c.is_alphanumeric()).collect();
    Info {
        columns: lines[head].split_whitespace().map(String::from).collect(),
        rows,
        labels: LABELS
            .into_iter()
            .filter(|l| header_words.contains(l))
            .collect(),
        footer: lines
            .iter()
            .rev()
            .nth(1)
            .map(|l| l.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn every_terminal_type_shows_the_same_information() {
    let w = start_workload();
    let tids = w.tids();
    let mut seen = Vec::new();
    for env in [
        &[("TERM", "xterm-256color")][..],
        &[("TERM", "linux")][..],
        &[("NO_COLOR", "1")][..],
        &[("TERM", "vt100")][..],
    ] {
        let (pty, screen) = show(&w, &[], env);
        let i = info(&screen, &tids);
        // Every thread is listed with its name, and the process row too.
        assert_eq!(i.rows.len(), tids.len() + 1, "{env:?}:\n{screen}");
        for n in names(&w) {
            assert!(
                i.rows.iter().any(|r| r.3.contains(n.as_str())),
                "{env:?}: {n} missing:\n{screen}"
            );
        }
        assert_eq!(i.labels, LABELS.to_vec(), "{env:?}:\n{screen}");
        quit(pty);
        seen.push((env, i, screen));
    }
    let (first_env, first, first_screen) = &seen[0];
    for (env, i, screen) in &seen[1..] {
        assert_eq!(
            first, i,
            "{first_env:?} and {env:?} differ:\n{first_screen}\n{screen}"
        );
    }
    // The Unicode screens use the Unicode guides, the ASCII ones the ASCII guides.
    assert!(seen[0].2.contains("└─"), "{}", seen[0].2);
    assert!(
        seen[1].2.contains("`-") && !seen[1].2.contains("└─"),
        "{}",
        seen[1].2
    );
}

#[test]
fn no_color_and_color_never_send_no_colour_at_all() {
    let w = start_workload();
    let check = |args: &[&str], env: &[(&str, &str)]| {
        let (pty, _) = show(&w, args, env);
        // The help screen and the panes have styles of their own.
        for k in ["C", "p", "e", "?"] {
            pty.send(k.as_bytes());
        }
        pty.wait_for_text("threadtop help", WAIT).expect("help");
        pty.wait_for_text("CPUs: who is runnable", WAIT)
            .expect("CPU pane");
        pty.send(b"q");
        pty.wait_for("help closed", WAIT, |s| !s.contains("threadtop help"))
            .expect("help closes");
        quit(pty)
    };
    // The check sees colour when there is some, so its silence below means something.
    assert!(sets_colour(&check(&[], &[])), "colour expected by default");
    let always = check(&["--color", "always"], &[("NO_COLOR", "1")]);
    assert!(
        sets_colour(&always),
        "--color always must colour even with NO_COLOR"
    );
    for (args, env) in [
        (&[][..], &[("NO_COLOR", "1")][..]),
        (&["--color", "never"][..], &[][..]),
        (&["--color=never"][..], &[("COLORTERM", "truecolor")][..]),
    ] {
        let raw = check(args, env);
        assert!(
            !sets_colour(&raw),
            "{args:?} {env:?}: colour sent:\n{}",
            String::from_utf8_lossy(&raw)
        );
        // Reverse video still marks the selection and the column titles.
        assert!(
            raw.windows(3).any(|w| w == b"[7m") || raw.windows(3).any(|w| w == b";7m"),
            "{args:?} {env:?}: no reverse video"
        );
    }
}

#[test]
fn term_linux_and_ascii_send_no_unicode_glyphs() {
    let w = start_workload();
    let allowed: Vec<char> = WIDE_NAME.chars().filter(|c| !c.is_ascii()).collect();
    for (args, env) in [
        (&[][..], &[("TERM", "linux")][..]),
        (&["--ascii"][..], &[("TERM", "xterm-256color")][..]),
    ] {
        let (pty, _) = show(&w, args, env);
        // Every pane with a border, the help screen (key names, arrows) and the filter line.
        for k in ["C", "p", "s", "e", "?"] {
            pty.send(k.as_bytes());
        }
        pty.wait_for_all(&["threadtop help", "+-"], WAIT)
            .unwrap_or_else(|e| panic!("{args:?} {env:?}: no ASCII border: {e}"));
        pty.send(b"q");
        pty.wait_for("help closed", WAIT, |s| !s.contains("threadtop help"))
            .expect("help closes");
        pty.send(b"/tt-");
        pty.wait_for_all(&["Filter: tt-_", "`-", "TID^"], WAIT)
            .unwrap_or_else(|e| panic!("{args:?} {env:?}: no ASCII guide or arrow: {e}"));
        pty.send(b"\x1b");
        pty.wait_for("filter closed", WAIT, |s| !s.contains("Filter:"))
            .expect("Esc leaves the filter");
        let raw = quit(pty);
        let text = String::from_utf8_lossy(&raw);
        let foreign: Vec<char> = text
            .chars()
            .filter(|c| !c.is_ascii() && !allowed.contains(c))
            .collect();
        assert!(
            foreign.is_empty(),
            "{args:?} {env:?}: non-ASCII output beyond the task name: {foreign:?}"
        );
        assert!(
            text.contains(WIDE_NAME),
            "{args:?} {env:?}: the task's own name is shown as it is"
        );
    }
}

#[test]
fn a_terminal_without_colours_in_terminfo_gets_none() {
    if threadtop::terminfo::max_colors("vt100") != Some(-1) {
        eprintln!("skipped: no terminfo entry for vt100 without colours on this machine");
        return;
    }
    let w = start_workload();
    let check = |env: &[(&str, &str)]| {
        let (pty, _) = show(&w, &[], env);
        pty.send(b"C");
        pty.wait_for_text("CPUs:", WAIT).expect("CPU pane");
        quit(pty)
    };
    // Sent where terminfo says there are colours, so the silence below means something.
    assert!(sets_colour(&check(&[("TERM", "xterm-256color")])));
    let raw = check(&[("TERM", "vt100")]);
    assert!(
        !sets_colour(&raw),
        "TERM=vt100 (tput colors: -1): colour sent:\n{}",
        String::from_utf8_lossy(&raw)
    );
    // `--color always` still colours it.
    let (pty, _) = show(&w, &["--color", "always"], &[("TERM", "vt100")]);
    assert!(sets_colour(&quit(pty)), "--color always");
}
