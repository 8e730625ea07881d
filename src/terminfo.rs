//! What the terminal's terminfo entry says about colour: `max_colors`, the number
//! `tput colors` prints (-1 where the entry has none, as for vt100 and vt220).
//!
//! Only this one number is read, from the compiled entry (term(5)), found where ncurses
//! looks: $TERMINFO, ~/.terminfo, $TERMINFO_DIRS, then /etc/terminfo, /lib/terminfo,
//! /usr/share/terminfo and /usr/lib/terminfo, under the first letter of the name (or its
//! hex code, as macOS files them). The file is outside data: a short or odd one is
//! "unknown", never a guess.

use std::io::Read;
use std::path::PathBuf;

/// Index of `max_colors` among the numeric capabilities (term(5), ncurses' Caps order).
const MAX_COLORS: usize = 13;
/// Compiled entries are a few KiB (xterm-256color: 3.7 KiB); more is not an entry.
const MAX_ENTRY: u64 = 64 * 1024;

/// `max_colors` of `term`'s entry: `Some(-1)` when the entry has none (a terminal without
/// colour), `None` when no readable entry was found.
pub fn max_colors(term: &str) -> Option<i32> {
    // A name that could leave the directory is no terminal name.
    if term.is_empty() || term.contains('/') || term.starts_with('.') {
        return None;
    }
    for dir in search_dirs() {
        let first = term.chars().next()?;
        for sub in [first.to_string(), format!("{:02x}", u32::from(first))] {
            let path = dir.join(sub).join(term);
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            let mut bytes = Vec::new();
            if file.take(MAX_ENTRY).read_to_end(&mut bytes).is_ok() {
                return parse_max_colors(&bytes);
            }
        }
    }
    None
}

fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("TERMINFO") {
        dirs.push(PathBuf::from(d));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".terminfo"));
    }
    let defaults = [
        "/etc/terminfo",
        "/lib/terminfo",
        "/usr/share/terminfo",
        "/usr/lib/terminfo",
    ];
    match std::env::var_os("TERMINFO_DIRS") {
        Some(list) => {
            for d in std::env::split_paths(&list) {
                // An empty element stands for the default places.
                if d.as_os_str().is_empty() {
                    dirs.extend(defaults.iter().map(PathBuf::from));
                } else {
                    dirs.push(d);
                }
            }
        }
        None => dirs.extend(defaults.iter().map(PathBuf::from)),
    }
    dirs
}

/// `max_colors` from a compiled entry: `Some(-1)` when absent or cancelled, `None` when
/// `bytes` is not an entry.
pub fn parse_max_colors(bytes: &[u8]) -> Option<i32> {
    let short = |at: usize| -> Option<i16> {
        let b = bytes.get(at..at + 2)?;
        Some(i16::from_le_bytes([b[0], b[1]]))
    };
    // 0o432: 16-bit numbers; 0o1036: the extended format's 32-bit numbers.
    let wide = match short(0)? {
        0o432 => false,
        0o1036 => true,
        _ => return None,
    };
    let count = |at| short(at).and_then(|v| usize::try_from(v).ok());
    let (names, bools, nums) = (count(2)?, count(4)?, count(6)?);
    let mut at = 12 + names + bools;
    // Numbers start on an even byte.
    at += at % 2;
    if nums <= MAX_COLORS {
        return Some(-1);
    }
    let v = if wide {
        let b = bytes.get(at + 4 * MAX_COLORS..at + 4 * MAX_COLORS + 4)?;
        i32::from_le_bytes([b[0], b[1], b[2], b[3]])
    } else {
        i32::from(short(at + 2 * MAX_COLORS)?)
    };
    Some(if v < 0 { -1 } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compiled entry with `nums` numbers, `max_colors` (when there are enough) set.
    fn entry(magic: u16, names: &[u8], bools: usize, nums: &[i32]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [
            magic as i16,
            names.len() as i16,
            bools as i16,
            nums.len() as i16,
            0,
            0,
        ] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend_from_slice(names);
        v.extend(std::iter::repeat_n(1u8, bools));
        if v.len() % 2 == 1 {
            v.push(0);
        }
        for n in nums {
            if magic == 0o1036 {
                v.extend_from_slice(&n.to_le_bytes());
            } else {
                v.extend_from_slice(&(*n as i16).to_le_bytes());
            }
        }
        v
    }

    #[test]
    fn max_colors_in_both_formats_and_absent() {
        let mut nums = vec![-1; 15];
        nums[MAX_COLORS] = 256;
        assert_eq!(
            parse_max_colors(&entry(0o432, b"x|y\0", 3, &nums)),
            Some(256)
        );
        assert_eq!(
            parse_max_colors(&entry(0o1036, b"xy\0", 2, &nums)),
            Some(256)
        );
        nums[MAX_COLORS] = -1;
        assert_eq!(
            parse_max_colors(&entry(0o432, b"vt100\0", 5, &nums)),
            Some(-1)
        );
        // Too few numbers to reach max_colors: it is absent.
        assert_eq!(
            parse_max_colors(&entry(0o432, b"a\0", 1, &[80, 8])),
            Some(-1)
        );
    }

    #[test]
    fn not_an_entry_is_unknown() {
        assert_eq!(parse_max_colors(b""), None);
        assert_eq!(parse_max_colors(b"\x1a\x01\x02"), None);
        assert_eq!(parse_max_colors(b"#!/bin/sh\nexit 0\n"), None);
        let mut nums = vec![-1; 15];
        nums[MAX_COLORS] = 8;
        let mut cut = entry(0o432, b"x\0", 1, &nums);
        cut.truncate(cut.len() - 4);
        assert_eq!(parse_max_colors(&cut), None);
        assert_eq!(max_colors("../../etc/passwd"), None);
    }

    #[test]
    fn this_machine_agrees_with_tput() {
        for (term, want) in [("vt100", -1), ("xterm-256color", 256), ("linux", 8)] {
            match max_colors(term) {
                Some(n) => assert_eq!(n, want, "{term}"),
                None => eprintln!("skipped {term}: no terminfo entry on this machine"),
            }
        }
    }
}
