//! Hand-written parsers for the per-task files read every tick.
//!
//! Written for hostile input: the comm in `stat` can hold `)`, `(`, spaces, newlines and
//! escape sequences, and a task dying mid-read can hand us a truncated file. Every parser
//! returns `None` on anything malformed and never panics (property-tested in tests/).

/// Fields of `/proc/.../stat` that threadtop uses (man 5 proc numbering in comments).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatFields<'a> {
    pub pid: u32,
    pub comm: &'a [u8],
    pub state: u8,
    pub ppid: u32,
    pub flags: u32,
    pub utime: u64,
    pub stime: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: u32,
    pub starttime: u64,
    pub rss_pages: u64,
    pub processor: Option<u32>,
    pub rt_priority: u32,
    pub policy: u32,
}

/// Parses a `stat` line. The comm runs from the first `(` to the LAST `)`, because the
/// name itself may contain `) ` and would otherwise shift every later field.
pub fn parse_stat(buf: &[u8]) -> Option<StatFields<'_>> {
    let open = memchr::memchr(b'(', buf)?;
    let close = memchr::memrchr(b')', buf)?;
    if close < open {
        return None;
    }
    let pid = parse_uint(trim_ascii(&buf[..open]))?;
    let comm = &buf[open + 1..close];
    let rest = buf.get(close + 1..)?;
    let rest = rest.strip_prefix(b" ")?;
    // One pass over the fields, skipping the unused ones without slicing them: the
    // iterator of splits this replaced was 5.6 % of the /proc path's CPU at 1,000 waking
    // threads (perf), more than the model.
    let mut f = Fields { buf: rest, at: 0 };
    // field 3 onwards.
    let state_field = f.next()?;
    if state_field.len() != 1 {
        return None;
    }
    let state = state_field[0];
    let ppid = parse_uint(f.next()?)? as u32; // 4
    f.skip(4)?; // 5..8
    let flags = parse_uint(f.next()?)? as u32; // 9
    f.skip(4)?; // 10..13
    let utime = parse_uint(f.next()?)?; // 14
    let stime = parse_uint(f.next()?)?; // 15
    f.skip(2)?; // 16 cutime, 17 cstime
    let priority = parse_int(f.next()?)?; // 18
    let nice = parse_int(f.next()?)?; // 19
    let num_threads = parse_uint(f.next()?)? as u32; // 20
    f.skip(1)?; // 21 itrealvalue
    let starttime = parse_uint(f.next()?)?; // 22
    f.skip(1)?; // 23 vsize
    let rss_pages = parse_int(f.next()?)?.max(0) as u64; // 24
    // 25..38 are not needed; processor and policy exist on every kernel we support, but a
    // truncated read may cut them off: keep what we got rather than lose the task.
    let mut processor = None;
    let mut rt_priority = 0;
    let mut policy = 0;
    if f.skip(14).is_some()
        && let Some(v) = f.next()
    {
        processor = parse_uint(v).map(|v| v as u32); // 39
        if let Some(v) = f.next() {
            rt_priority = parse_uint(v).unwrap_or(0) as u32; // 40
            if let Some(v) = f.next() {
                policy = parse_uint(v).unwrap_or(0) as u32; // 41
            }
        }
    }
    Some(StatFields {
        pid: pid as u32,
        comm,
        state,
        ppid,
        flags,
        utime,
        stime,
        priority,
        nice,
        num_threads,
        starttime,
        rss_pages,
        processor,
        rt_priority,
        policy,
    })
}

/// The fields of a /proc line after the comm: runs of bytes between spaces or newlines,
/// empty runs skipped (as the kernel never writes them, a reader that kept them would
/// only differ on damaged input).
struct Fields<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.buf;
        let mut i = self.at;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\n') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i] != b' ' && b[i] != b'\n' {
            i += 1;
        }
        self.at = i;
        (i > start).then(|| &b[start..i])
    }

    /// Moves past `n` fields; `None` if the line ends first.
    #[inline]
    fn skip(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.next()?;
        }
        Some(())
    }
}

/// `schedstat`: `run_ns wait_ns timeslices`.
pub fn parse_schedstat(buf: &[u8]) -> Option<crate::collect::SchedStat> {
    let mut f = Fields { buf, at: 0 };
    let run_ns = parse_uint(f.next()?)?;
    let wait_ns = parse_uint(f.next()?)?;
    let timeslices = parse_uint(f.next()?)?;
    Some(crate::collect::SchedStat {
        run_ns,
        wait_ns,
        timeslices,
    })
}

/// The `status` fields threadtop needs that `stat` lacks.
pub fn parse_status(buf: &[u8]) -> Option<crate::collect::TaskDetail> {
    let mut voluntary = None;
    let mut involuntary = None;
    let mut cpus = None;
    for line in buf.split(|&b| b == b'\n') {
        // `Name:` comes first and is the only line with free text; it never matches these
        // keys because the kernel escapes newlines in it.
        if let Some(v) = line.strip_prefix(b"voluntary_ctxt_switches:") {
            voluntary = parse_uint(trim_ascii(v));
        } else if let Some(v) = line.strip_prefix(b"nonvoluntary_ctxt_switches:") {
            involuntary = parse_uint(trim_ascii(v));
        } else if let Some(v) = line.strip_prefix(b"Cpus_allowed_list:") {
            let v = trim_ascii(v);
            if v.iter()
                .all(|b| b.is_ascii_digit() || *b == b',' || *b == b'-')
            {
                cpus = Some(String::from_utf8_lossy(v).into_owned());
            }
        }
    }
    Some(crate::collect::TaskDetail {
        voluntary_switches: voluntary?,
        involuntary_switches: involuntary?,
        cpus_allowed: cpus.unwrap_or_default(),
    })
}

/// `se.nr_migrations` from `/proc/.../sched` (`key : value` lines; parse by key, the
/// layout varies between kernels).
pub fn parse_sched_migrations(buf: &[u8]) -> Option<u64> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let (key, value) = line.split_at(line.iter().position(|&b| b == b':')?);
        (key.trim_ascii() == b"se.nr_migrations").then(|| parse_uint(value[1..].trim_ascii()))?
    })
}

/// `read_bytes` and `write_bytes` from `/proc/TID/io` (`key: value` lines, by key).
pub fn parse_io(buf: &[u8]) -> Option<crate::collect::TaskIo> {
    let field = |name: &[u8]| {
        buf.split(|&b| b == b'\n').find_map(|line| {
            let at = line.iter().position(|&b| b == b':')?;
            (line[..at].trim_ascii() == name).then(|| parse_uint(line[at + 1..].trim_ascii()))?
        })
    };
    Some(crate::collect::TaskIo {
        read_bytes: field(b"read_bytes")?,
        write_bytes: field(b"write_bytes")?,
    })
}

/// `/proc/PID/statm`: size, resident and shared, the first three of its seven numbers (pages).
pub fn parse_statm(buf: &[u8]) -> Option<crate::collect::Statm> {
    let mut it = buf
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty())
        .map(parse_uint);
    Some(crate::collect::Statm {
        size_pages: it.next()??,
        resident_pages: it.next()??,
        shared_pages: it.next()??,
    })
}

/// `/proc/TID/syscall`: `running`, or `-1 sp pc` outside a system call, or
/// `nr arg1 .. arg6 sp pc` (numbers in the first field decimal).
pub fn parse_syscall(buf: &[u8]) -> Option<crate::collect::SyscallState> {
    use crate::collect::SyscallState;
    let first = buf.split(|&b| b == b' ' || b == b'\n').next()?;
    match first {
        b"running" => Some(SyscallState::Running),
        b"-1" => Some(SyscallState::NotInSyscall),
        n => parse_uint(n).map(SyscallState::In),
    }
}

pub fn parse_uint(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

pub fn parse_int(s: &[u8]) -> Option<i64> {
    match s.strip_prefix(b"-") {
        Some(digits) => parse_uint(digits)
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| -v),
        None => parse_uint(s).and_then(|v| i64::try_from(v).ok()),
    }
}

pub fn trim_ascii(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &[u8] = b"1234 (worker-3) S 1 1234 1234 0 -1 4194368 100 0 0 0 52 7 0 0 20 0 9 0 4242 1000000 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

    #[test]
    fn parses_a_real_line() {
        let s = parse_stat(REAL).expect("parses");
        assert_eq!(s.pid, 1234);
        assert_eq!(s.comm, b"worker-3");
        assert_eq!(s.state, b'S');
        assert_eq!(s.ppid, 1);
        assert_eq!(s.flags, 4194368);
        assert_eq!((s.utime, s.stime), (52, 7));
        assert_eq!((s.priority, s.nice, s.num_threads), (20, 0, 9));
        assert_eq!(s.starttime, 4242);
        assert_eq!(s.rss_pages, 321);
        assert_eq!(s.processor, Some(1));
        assert_eq!((s.rt_priority, s.policy), (0, 0));
    }

    #[test]
    fn comm_with_parens_and_escapes_keeps_fields_right() {
        let line = b"77 (a) R 1 (\x1b[31m) t 5 77 77 0 -1 0 0 0 0 0 3 4 0 0 20 -5 1 0 99 0 10 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0\n";
        let s = parse_stat(line).expect("parses");
        assert_eq!(s.comm, b"a) R 1 (\x1b[31m");
        assert_eq!(s.state, b't');
        assert_eq!(s.ppid, 5);
        assert_eq!(s.nice, -5);
        assert_eq!(s.starttime, 99);
        assert_eq!(s.processor, Some(0));
    }

    #[test]
    fn truncated_lines_are_rejected_not_panicked_on() {
        for bad in [
            &b"7001 (x)"[..],
            b"7003 (x) ",
            b"(x) S 1",
            b"",
            b")(",
            b"1 (x) S",
        ] {
            assert!(
                parse_stat(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_line_cut_after_starttime_keeps_the_task() {
        let s =
            parse_stat(b"5 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 77 0 3").expect("parses");
        assert_eq!(s.starttime, 77);
        assert_eq!(s.processor, None);
    }

    #[test]
    fn schedstat_and_status() {
        let s = parse_schedstat(b"123 456 7\n").expect("parses");
        assert_eq!((s.run_ns, s.wait_ns, s.timeslices), (123, 456, 7));
        assert!(parse_schedstat(b"123 456").is_none());
        let st = b"Name:\tvoluntary_ctxt_switches: 9\nCpus_allowed_list:\t0-3,8\nvoluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t2\n";
        let sched = b"x (1, #threads: 1)\n---\nse.exec_start  :  1.5\nse.nr_migrations   :   42\n";
        assert_eq!(parse_sched_migrations(sched), Some(42));
        assert_eq!(parse_sched_migrations(b"se.nr_migrations: x\n"), None);
        assert_eq!(parse_sched_migrations(b""), None);
        let d = parse_status(st).expect("parses");
        assert_eq!(d.voluntary_switches, 10);
        assert_eq!(d.involuntary_switches, 2);
        assert_eq!(d.cpus_allowed, "0-3,8");
    }
}
