//! README.md documents every key and every command-line flag: the key table and the CLI
//! definition are the truth, and this test fails when one of them grows without the README.

use clap::CommandFactory;
use threadtop::keymap::{BINDINGS, Mode};

const README: &str = include_str!("../README.md");

/// The first cell of every row of the markdown tables in the section titled `title`, split
/// into the key names it lists ("↑ ↓ / k j" → ↑, ↓, k, j).
fn key_cells(title: &str) -> Vec<String> {
    let Some(start) = README.find(&format!("\n## {title}\n")) else {
        panic!("README has no section {title}");
    };
    let section = &README[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    let mut out = Vec::new();
    for line in section[..end].lines() {
        let Some(row) = line.strip_prefix("| ") else {
            continue;
        };
        let cell = row.split(" |").next().unwrap_or_default();
        if cell == "/" {
            out.push(cell.to_string());
            continue;
        }
        // "/" separates alternatives and "," pairs; "," alone is a key.
        for part in cell.split(' ') {
            let part = part.trim_matches('`');
            let part = if part.len() > 1 {
                part.trim_end_matches(',')
            } else {
                part
            };
            if !part.is_empty() && part != "/" {
                out.push(part.to_string());
            }
        }
    }
    out
}

#[test]
fn every_key_is_in_the_readme() {
    let main = key_cells("Keys");
    let replay = key_cells("Record and replay");
    let mut missing = Vec::new();
    for b in BINDINGS {
        // Keys every picker and prompt shares (Esc, Enter, arrows, Ctrl-C) are said once in
        // prose; the tables must list the keys of the main screen, the filter line, the
        // column editor and a replay.
        let table = match (b.mode, b.replay_only) {
            (Mode::Normal, false) | (Mode::Filter, _) | (Mode::Columns, _) => &main,
            (Mode::Normal, true) => &replay,
            _ => continue,
        };
        for key in b.keys {
            let label = key.label();
            if !table.contains(&label) {
                missing.push(format!("{:?} {label} ({:?})", b.mode, b.action));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys missing from README.md: {missing:#?}"
    );
}

#[test]
fn every_flag_is_in_the_readme() {
    let cmd = threadtop::cli::Cli::command();
    let mut missing = Vec::new();
    let mut check = |c: &clap::Command| {
        for a in c.get_arguments() {
            if a.is_hide_set() {
                continue;
            }
            if let Some(long) = a.get_long()
                && !["help", "version"].contains(&long)
                && !README.contains(&format!("--{long}"))
            {
                missing.push(format!("{} --{long}", c.get_name()));
            }
        }
    };
    check(&cmd);
    for sub in cmd.get_subcommands() {
        check(sub);
    }
    assert!(
        missing.is_empty(),
        "flags missing from README.md: {missing:?}"
    );
}

#[test]
fn every_config_key_and_theme_role_is_in_the_readme() {
    let config: toml::Table = threadtop::config::DEFAULT_CONFIG
        .parse()
        .expect("the default config parses");
    let mut missing = Vec::new();
    for (key, value) in &config {
        if !README.contains(&format!("`{key}`")) && !README.contains(&format!("`[{key}]`")) {
            missing.push(key.clone());
        }
        if let Some(t) = value.as_table() {
            missing.extend(
                t.keys()
                    .filter(|k| !README.contains(&format!("`{k}`")))
                    .map(|k| format!("{key}.{k}")),
            );
        }
    }
    for role in threadtop::palette::Role::ALL {
        if !README.contains(&format!("`{}`", role.name())) {
            missing.push(format!("theme role {}", role.name()));
        }
    }
    assert!(missing.is_empty(), "missing from README.md: {missing:?}");
}
