//! The layers point one way: collect → model → ui → app → main, with the side modules
//! (config, cli, act, record, json, terminal, input, palette, text, toml_file) importing neither
//! ui nor app. Checked on the source: every `crate::NAME` a module names (in `use` lines
//! and in paths), comments left out.

use std::path::Path;

/// Module → the top-level modules it must not name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("ui", &["app", "config", "act", "cli"]),
    ("config", &["ui", "app"]),
    ("cli", &["ui", "app"]),
    ("act", &["ui", "app"]),
    ("record", &["ui", "app"]),
    ("json", &["ui", "app"]),
    ("terminal", &["ui", "app"]),
    ("palette", &["ui", "app", "config", "cli", "act"]),
    (
        "toml_file",
        &["ui", "app", "config", "cli", "act", "model", "collect"],
    ),
    (
        "text",
        &["ui", "app", "config", "cli", "act", "model", "collect"],
    ),
    ("keymap", &["ui", "app", "config", "cli", "act"]),
    (
        "input",
        &["ui", "app", "config", "cli", "act", "model", "collect"],
    ),
    ("action", &["ui", "app", "config", "cli", "act"]),
    (
        "model",
        &[
            "ui", "app", "config", "cli", "act", "record", "json", "terminal",
        ],
    ),
    (
        "collect",
        &[
            "model", "ui", "app", "config", "cli", "act", "record", "json", "terminal",
        ],
    ),
];

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules named as `crate::NAME` on a line (its code, not its comment).
fn named(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        out.push(name);
    }
    out
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    assert!(files.len() > 20, "found the sources in {}", src.display());
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_string();
        let Some((_, banned)) = FORBIDDEN.iter().find(|(m, _)| *m == top) else {
            continue;
        };
        let text = std::fs::read_to_string(f).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            for name in named(line) {
                if banned.contains(&name.as_str()) {
                    wrong.push(format!(
                        "{}:{}: {top} → {name}: {}",
                        rel.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports pointing up a layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    assert_eq!(
        named("use crate::app::App; // crate::ui in a comment"),
        vec!["app"]
    );
    assert_eq!(
        named("let x = crate::ui::tree::page_height(crate::model::f());"),
        vec!["ui", "model"]
    );
}
