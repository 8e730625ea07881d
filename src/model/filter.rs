//! What the user typed after `/` (or `--filter`): a PID/TID, or a pattern on names and
//! command lines. Smart case (case-insensitive unless the pattern has a capital letter, as
//! in ripgrep); `*` and `?` are wildcards; otherwise it is a substring match. A pattern also
//! matches the tasks whose cgroup's name or path it matches (`nginx.service`, `docker:0123`).

use crate::collect::cgroup::Cgroups;
use crate::text::escape;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    None,
    /// All digits: matches a TGID (the whole process) or a TID (that thread).
    Id(u32),
    Pattern(Pattern),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    chars: Vec<char>,
    ignore_case: bool,
    wildcards: bool,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let t = text.trim();
        if t.is_empty() {
            return Filter::None;
        }
        if t.bytes().all(|b| b.is_ascii_digit())
            && let Ok(id) = t.parse()
        {
            return Filter::Id(id);
        }
        Filter::Pattern(Pattern::new(t))
    }

    pub fn is_active(&self) -> bool {
        *self != Filter::None
    }
}

impl Pattern {
    /// A pattern from any text, digits included (`--cgroup 123` is a name, not an id).
    pub fn new(text: &str) -> Pattern {
        let t = text.trim();
        let ignore_case = !t.chars().any(char::is_uppercase);
        let chars = if ignore_case {
            t.chars().flat_map(char::to_lowercase).collect()
        } else {
            t.chars().collect()
        };
        Pattern {
            wildcards: t.contains(['*', '?']),
            chars,
            ignore_case,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        let hay: Vec<char> = if self.ignore_case {
            text.chars().flat_map(char::to_lowercase).collect()
        } else {
            text.chars().collect()
        };
        if !self.wildcards {
            return self.chars.is_empty() || hay.windows(self.chars.len()).any(|w| w == self.chars);
        }
        // Unanchored: "work*3" finds "worker-3" anywhere in the text.
        (0..=hay.len()).any(|start| glob_prefix(&self.chars, &hay[start..]))
    }
}

/// The cgroup side of the filters for one snapshot: whether each cgroup matches the `/`
/// pattern (by its readable name or its path) and `--cgroup`, decided once per cgroup
/// rather than once per task.
pub struct CgroupFilter<'a> {
    cgroups: &'a Cgroups,
    by_pattern: Vec<bool>,
    only: Option<Vec<bool>>,
}

fn matching(pat: &Pattern, cgroups: &Cgroups) -> Vec<bool> {
    cgroups
        .groups
        .iter()
        .map(|g| pat.matches(&g.name().text) || pat.matches(&escape(&g.path)))
        .collect()
}

impl<'a> CgroupFilter<'a> {
    pub fn new(cgroups: &'a Cgroups, filter: &Filter, only: Option<&Pattern>) -> Self {
        CgroupFilter {
            cgroups,
            by_pattern: match filter {
                Filter::Pattern(p) => matching(p, cgroups),
                _ => Vec::new(),
            },
            only: only.map(|p| matching(p, cgroups)),
        }
    }

    fn hit(&self, v: &[bool], tgid: u32, tid: u32) -> bool {
        self.cgroups
            .index_of(tgid, tid)
            .is_ok_and(|i| v.get(i as usize).copied().unwrap_or(false))
    }

    /// The task's cgroup matches the `/` pattern.
    pub fn pattern_hit(&self, tgid: u32, tid: u32) -> bool {
        !self.by_pattern.is_empty() && self.hit(&self.by_pattern, tgid, tid)
    }

    /// `--cgroup` is given.
    pub fn restricts(&self) -> bool {
        self.only.is_some()
    }

    /// The task may be shown under `--cgroup` (always, without it). A task whose cgroup is
    /// unknown is not shown: it is not known to be in a matching one.
    pub fn allowed(&self, tgid: u32, tid: u32) -> bool {
        match &self.only {
            None => true,
            Some(v) => self.hit(v, tgid, tid),
        }
    }
}

/// True when `pat` matches some prefix of `text` (`*` any run, `?` one character).
fn glob_prefix(pat: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p == pat.len() {
            return true;
        }
        match pat[p] {
            '*' => {
                backtrack = Some((p, t));
                p += 1;
                continue;
            }
            c if t < text.len() && (c == '?' || c == text[t]) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match backtrack {
            Some((bp, bt)) if bt < text.len() => {
                backtrack = Some((bp, bt + 1));
                p = bp + 1;
                t = bt + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(f: &str, s: &str) -> bool {
        match Filter::parse(f) {
            Filter::Pattern(p) => p.matches(s),
            other => panic!("not a pattern: {other:?}"),
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(Filter::parse("  "), Filter::None);
        assert_eq!(Filter::parse("1234"), Filter::Id(1234));
        assert!(matches!(Filter::parse("12a"), Filter::Pattern(_)));
    }

    #[test]
    fn smart_case_substring_and_globs() {
        assert!(m("work", "Worker-1"));
        assert!(!m("Work", "worker-1"));
        assert!(m("work*3", "my-worker-3"));
        assert!(m("w?rker", "worker"));
        assert!(!m("work*9", "worker-3"));
        assert!(m("*", ""));
        assert!(m("gc thread#", "GC Thread#0"));
    }
}
