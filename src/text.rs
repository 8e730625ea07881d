//! Makes text from the outside world safe to show.
//!
//! Task names and command lines are chosen by anyone and may hold escape sequences, C0/C1
//! controls, bidi overrides or invalid UTF-8. Everything that reaches the terminal (or
//! JSON meant for people) goes through `escape`, which makes each such byte visible
//! (`\e`, `\n`, `\x9b`, `\u{202e}`) and keeps ordinary text, including non-ASCII, as is.

use std::fmt::Write;

use unicode_width::UnicodeWidthChar;

/// Escapes `bytes` for display. Printable text is unchanged, except `\` which is doubled
/// so an escaped form can never be mistaken for a real one.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    escape_into(bytes, &mut out);
    out
}

pub fn escape_into(mut bytes: &[u8], out: &mut String) {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                escape_str(s, out);
                return;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                // SAFETY-free: `good` is valid UTF-8 by construction of valid_up_to.
                escape_str(std::str::from_utf8(good).unwrap_or_default(), out);
                let bad = e.error_len().unwrap_or(rest.len());
                for b in &rest[..bad] {
                    let _ = write!(out, "\\x{b:02x}");
                }
                bytes = &rest[bad..];
            }
        }
    }
}

fn escape_str(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// C1 controls, bidi and other invisible format characters, and anything the terminal
/// would draw with no width (which could hide or overdraw neighbouring text).
fn is_dangerous(c: char) -> bool {
    let u = c as u32;
    (0x80..=0x9f).contains(&u)
        || matches!(u, 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb)
        || c.width().is_none()
}

/// The NUL-separated argv of `cmdline` as one line, arguments separated by spaces.
pub fn escape_cmdline(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for (i, arg) in bytes.split(|&b| b == 0).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        escape_into(arg, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_control() {
        assert_eq!(escape(b"a) R 1 ("), "a) R 1 (");
        assert_eq!(escape(b"\x1b[31mred\x07"), "\\e[31mred\\x07");
        assert_eq!(escape(b"line\nbreak\ttab"), "line\\nbreak\\ttab");
        assert_eq!(escape(b"bad\xff\xfe"), "bad\\xff\\xfe");
        assert_eq!(escape("c1 \u{9b}31m".as_bytes()), "c1 \\u{9b}31m");
        assert_eq!(escape("rlo\u{202e}x".as_bytes()), "rlo\\u{202e}x");
        assert_eq!(escape("naïve 線程".as_bytes()), "naïve 線程");
        assert_eq!(escape(b"back\\slash"), "back\\\\slash");
    }

    #[test]
    fn cmdline_joins_args() {
        assert_eq!(
            escape_cmdline(b"/bin/sh\0-c\0echo \x1b"),
            "/bin/sh -c echo \\e"
        );
    }
}
