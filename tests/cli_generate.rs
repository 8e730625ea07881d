//! `threadtop --generate man|bash|zsh|fish`: generated from the command-line definition, so
//! they list what the program accepts. The man page is rendered by whatever formatter the
//! machine has (`man -l`, `mandoc`, `groff -man`); without one that test says so and skips.

mod support;

use std::process::{Command, Stdio};

fn generate(what: &str) -> String {
    let out = support::command()
        .args(["--generate", what])
        .output()
        .expect("run threadtop --generate");
    assert!(
        out.status.success(),
        "--generate {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Renders the roff with the first formatter found: (name, plain text).
fn render_man(roff: &str) -> Option<(&'static str, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("threadtop.1");
    std::fs::write(&page, roff).expect("write the page");
    let page = page.to_string_lossy().into_owned();
    let tries: [(&str, &str, Vec<&str>); 3] = [
        ("man", "man", vec!["-l", &page]),
        ("mandoc", "mandoc", vec!["-Tutf8", &page]),
        ("groff", "groff", vec!["-man", "-Tutf8", &page]),
    ];
    for (name, program, args) in tries {
        let Ok(out) = Command::new(program)
            .args(&args)
            .env("MANWIDTH", "100")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .stdin(Stdio::null())
            .output()
        else {
            continue;
        };
        if !out.status.success() || out.stdout.is_empty() {
            eprintln!(
                "{name} could not render the page: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        return Some((name, plain(&String::from_utf8_lossy(&out.stdout))));
    }
    None
}

/// Overstrike (bold `X\bX`, underline `_\bX`) removed and typographic hyphens and minus
/// signs made ASCII, so flags can be searched for.
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
            continue;
        }
        out.push(match c {
            '\u{2010}' | '\u{2011}' | '\u{2212}' => '-',
            c => c,
        });
    }
    out.into_iter().collect()
}

const MAIN_FLAGS: [&str; 11] = [
    "--pid",
    "--filter",
    "--sort",
    "--reverse",
    "--delay",
    "--flat",
    "--hide-kernel",
    "--json",
    "--color",
    "--ascii",
    "--generate",
];

#[test]
fn man_page_renders_and_documents_the_flags_and_commands() {
    let roff = generate("man");
    assert!(roff.contains(".TH threadtop 1"), "{roff}");
    let Some((formatter, text)) = render_man(&roff) else {
        eprintln!("skipped: no man page formatter (man, mandoc or groff) is installed");
        return;
    };
    for flag in MAIN_FLAGS {
        assert!(text.contains(flag), "{formatter}: {flag} missing:\n{text}");
    }
    for word in [
        "threadtop record",
        "threadtop replay",
        "--duration",
        "--at",
        "NO_COLOR",
        "TERM=linux",
    ] {
        assert!(text.contains(word), "{formatter}: {word} missing:\n{text}");
    }
    // The roff came through as text, not as stray requests.
    assert!(!text.contains("\\f"), "{text}");
}

#[test]
fn completions_know_the_flags_and_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let script = generate(shell);
        for flag in ["delay", "color", "ascii", "generate"] {
            // fish spells a long option `-l delay`; bash and zsh `--delay`.
            let spelled = if shell == "fish" {
                format!("-l {flag} ")
            } else {
                format!("--{flag}")
            };
            assert!(
                script.contains(&spelled),
                "{shell}: {spelled} missing:\n{script}"
            );
        }
        for word in ["record", "replay"] {
            assert!(script.contains(word), "{shell}: {word} missing:\n{script}");
        }
    }
    // The values of --color and --generate are offered, not just the flag.
    let bash = generate("bash");
    assert!(bash.contains("auto always never"), "{bash}");
}

#[test]
fn an_unknown_generate_target_is_refused_with_the_choices() {
    let out = support::command()
        .args(["--generate", "powershell-9"])
        .output()
        .expect("run threadtop");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("man") && err.contains("fish"), "{err}");
}
