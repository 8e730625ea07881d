//! The `[tools]` table: programs the hand-off key (`!`) can start on the selected task, each a
//! name and a command line with `{tid}`, `{pid}` and `{comm}` in it. A command line is split
//! into words here, once, when the file is read; each word becomes one argument of the
//! program, with the placeholders replaced. No shell ever sees it: a `{comm}` of `a; rm -rf`
//! is one argument, not a command.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// A tool as configured: its name and the words of its command line (placeholders kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    /// The program first, then its arguments; at least one word, the program with no
    /// placeholder in it.
    pub argv: Vec<String>,
}

/// The task a tool is started on.
#[derive(Debug, Clone, Copy)]
pub struct Subst<'a> {
    pub tid: u32,
    pub pid: u32,
    /// The task's comm, raw bytes (a name may be any bytes but NUL).
    pub comm: &'a [u8],
}

/// The tools when the config file has no `[tools]` table (also what `--print-config` lists).
pub fn defaults() -> Vec<Tool> {
    [
        ("strace", "strace -p {tid}"),
        ("lsof", "lsof -p {pid}"),
        ("gdb", "gdb -p {pid}"),
    ]
    .iter()
    .map(|(name, line)| Tool {
        name: (*name).into(),
        argv: split(line).unwrap_or_default(),
    })
    .collect()
}

/// Splits a command line into words as a POSIX shell would, without expanding anything:
/// blanks separate words, `'…'` keeps everything literally, `"…"` too except `\"` and
/// `\\`, and a backslash outside quotes keeps the next character. `$`, `*`, `;`, `|` are
/// plain characters.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("a ' is not closed".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("a \" is not closed".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("a \" is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("a \\ ends the line".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// One piece of a word: text, or a placeholder.
enum Piece<'a> {
    Text(&'a str),
    Tid,
    Pid,
    Comm,
}

/// The pieces of `word`; `{{` and `}}` are literal braces. An unknown `{name}`, or a brace
/// left open, is an error naming it.
fn pieces(word: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = word;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = r;
        } else if let Some(r) = rest.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = r;
        } else if let Some(r) = rest.strip_prefix('{') {
            let Some(end) = r.find('}') else {
                return Err(format!(
                    "{{ without }} in {word:?} (write {{{{ for a brace)"
                ));
            };
            out.push(match &r[..end] {
                "tid" => Piece::Tid,
                "pid" => Piece::Pid,
                "comm" => Piece::Comm,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}} (known: {{tid}}, {{pid}}, {{comm}}; \
                         {{{{ for a brace)"
                    ));
                }
            });
            rest = &r[end + 1..];
        } else if rest.starts_with('}') {
            return Err(format!(
                "}} without {{ in {word:?} (write }}}} for a brace)"
            ));
        } else {
            let end = rest.find(['{', '}']).unwrap_or(rest.len());
            out.push(Piece::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

impl Tool {
    /// A tool from its name and words, checked: a program, no placeholder in it, every
    /// placeholder known.
    pub fn new(name: &str, argv: Vec<String>) -> Result<Tool, String> {
        let Some(program) = argv.first() else {
            return Err("the command line is empty".into());
        };
        if program.is_empty() {
            return Err("the program's name is empty".into());
        }
        for w in &argv {
            pieces(w)?;
        }
        if pieces(program)?
            .iter()
            .any(|p| !matches!(p, Piece::Text(_)))
        {
            return Err(format!(
                "the program {program:?} cannot be a placeholder (it is what is looked for \
                 on PATH)"
            ));
        }
        Ok(Tool {
            name: name.to_string(),
            argv,
        })
    }

    /// The program, as looked for on PATH (`{{` written as `{`).
    pub fn program(&self) -> String {
        self.expand_word(0, None)
    }

    fn expand_word(&self, i: usize, s: Option<&Subst>) -> String {
        let word = self.argv.get(i).map_or("", String::as_str);
        let Ok(pieces) = pieces(word) else {
            return word.to_string();
        };
        pieces
            .iter()
            .map(|p| match (p, s) {
                (Piece::Text(t), _) => (*t).to_string(),
                (Piece::Tid, Some(s)) => s.tid.to_string(),
                (Piece::Pid, Some(s)) => s.pid.to_string(),
                (Piece::Comm, Some(s)) => crate::text::escape(s.comm),
                (Piece::Tid, None) => "{tid}".into(),
                (Piece::Pid, None) => "{pid}".into(),
                (Piece::Comm, None) => "{comm}".into(),
            })
            .collect()
    }

    /// The arguments to start it with, each word one argument: `{comm}` is the raw name.
    pub fn expand(&self, s: &Subst) -> Vec<OsString> {
        self.argv
            .iter()
            .map(|word| {
                let mut bytes = Vec::new();
                for p in pieces(word).unwrap_or_default() {
                    match p {
                        Piece::Text(t) => bytes.extend_from_slice(t.as_bytes()),
                        Piece::Tid => bytes.extend_from_slice(s.tid.to_string().as_bytes()),
                        Piece::Pid => bytes.extend_from_slice(s.pid.to_string().as_bytes()),
                        Piece::Comm => bytes.extend_from_slice(s.comm),
                    }
                }
                OsString::from_vec(bytes)
            })
            .collect()
    }

    /// The command line as it will run, for the screen: the words joined by spaces, one
    /// that holds a blank or a quote in quotes, a name's odd bytes escaped.
    pub fn shown(&self, s: &Subst) -> String {
        (0..self.argv.len())
            .map(|i| {
                let w = self.expand_word(i, Some(s));
                if w.is_empty() || w.contains([' ', '\t', '"', '\'', '\\']) {
                    format!("'{}'", w.replace('\'', "'\\''"))
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subst(comm: &[u8]) -> Subst<'_> {
        Subst {
            tid: 1236,
            pid: 1234,
            comm,
        }
    }

    #[test]
    fn words_split_as_a_shell_would_without_expanding_anything() {
        assert_eq!(
            split("sh -c 'echo handed {tid}; read x'").ok(),
            Some(vec![
                "sh".to_string(),
                "-c".into(),
                "echo handed {tid}; read x".into()
            ])
        );
        assert_eq!(
            split(r#"a "b \"c\" $HOME" d\ e ''"#).ok(),
            Some(vec![
                "a".to_string(),
                "b \"c\" $HOME".into(),
                "d e".into(),
                String::new()
            ])
        );
        assert!(split("a 'b").is_err());
        assert!(split("a \"b").is_err());
        assert!(split("a \\").is_err());
    }

    #[test]
    fn placeholders_become_the_tasks_ids_and_its_raw_name_as_one_argument() {
        let t = Tool::new(
            "t",
            split("prog -p {tid} --pid={pid} {comm} {{x}}").unwrap_or_default(),
        )
        .expect("valid");
        let args = t.expand(&subst(b"a b; rm\xff"));
        let want: Vec<OsString> = vec![
            "prog".into(),
            "-p".into(),
            "1236".into(),
            "--pid=1234".into(),
            OsString::from_vec(b"a b; rm\xff".to_vec()),
            "{x}".into(),
        ];
        assert_eq!(args, want);
        assert_eq!(t.shown(&subst(b"a b")), "prog -p 1236 --pid=1234 'a b' {x}");
        assert_eq!(t.program(), "prog");
    }

    #[test]
    fn unknown_placeholders_and_a_placeholder_program_are_refused() {
        let e = Tool::new("t", vec!["p".into(), "{tdi}".into()]).err();
        assert!(e.is_some_and(|e| e.contains("unknown placeholder {tdi}")));
        assert!(Tool::new("t", vec!["p".into(), "{tid".into()]).is_err());
        assert!(Tool::new("t", vec!["p".into(), "x}".into()]).is_err());
        assert!(Tool::new("t", vec!["{comm}".into()]).is_err());
        assert!(Tool::new("t", vec![]).is_err());
        assert!(Tool::new("t", vec![String::new()]).is_err());
    }

    #[test]
    fn the_defaults_are_strace_lsof_and_gdb() {
        let d = defaults();
        let s = subst(b"x");
        let lines: Vec<String> = d.iter().map(|t| t.shown(&s)).collect();
        assert_eq!(
            lines,
            ["strace -p 1236", "lsof -p 1234", "gdb -p 1234"].map(String::from)
        );
    }
}
