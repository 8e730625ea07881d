//! One task as the iterator writes it (`struct task_rec` in assets/bpf/tasks.bpf.c: change
//! both), and how it becomes the fields the /proc scanner fills from `stat` and `schedstat`.

use crate::collect::snapshot::{Comm, SchedStat, TaskInfo, saturate};

/// Bytes of one record: 9 u64, 12 u32 and a 16-byte comm (no padding).
pub const RECORD_LEN: usize = 9 * 8 + 12 * 4 + 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskRec {
    pub start_boottime_ns: u64,
    pub run_ns: u64,
    pub wait_ns: u64,
    pub timeslices: u64,
    pub nvcsw: u64,
    pub nivcsw: u64,
    pub utime_ns: u64,
    pub stime_ns: u64,
    pub migrations: u64,
    pub tid: u32,
    pub tgid: u32,
    pub ppid: u32,
    pub state: u32,
    pub exit_state: u32,
    pub flags: u32,
    pub cpu: u32,
    pub policy: u32,
    pub rt_priority: u32,
    pub prio: i32,
    pub static_prio: i32,
    pub nr_threads: u32,
    pub comm: [u8; 16],
}

impl TaskRec {
    /// Every whole record in `bytes`, decoded into `out` (cleared first).
    pub fn parse_all(bytes: &[u8], out: &mut Vec<TaskRec>) {
        out.clear();
        out.reserve(bytes.len() / RECORD_LEN);
        out.extend(bytes.chunks_exact(RECORD_LEN).filter_map(TaskRec::parse));
    }

    /// TID and TGID of a whole record, without decoding the rest.
    pub fn ids(b: &[u8]) -> Option<(u32, u32)> {
        let at = |i: usize| -> Option<u32> {
            Some(u32::from_ne_bytes(b.get(i..i + 4)?.try_into().ok()?))
        };
        (b.len() >= RECORD_LEN).then_some(())?;
        Some((at(72)?, at(76)?))
    }

    /// Decodes one record (native byte order, as the kernel wrote it). `None`: too short.
    pub fn parse(b: &[u8]) -> Option<TaskRec> {
        let b: &[u8; RECORD_LEN] = b.get(..RECORD_LEN)?.try_into().ok()?;
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(a)
        };
        let u32_at = |i: usize| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[72 + i * 4..72 + i * 4 + 4]);
            u32::from_ne_bytes(a)
        };
        let mut comm = [0u8; 16];
        comm.copy_from_slice(&b[RECORD_LEN - 16..]);
        Some(TaskRec {
            start_boottime_ns: u64_at(0),
            run_ns: u64_at(1),
            wait_ns: u64_at(2),
            timeslices: u64_at(3),
            nvcsw: u64_at(4),
            nivcsw: u64_at(5),
            utime_ns: u64_at(6),
            stime_ns: u64_at(7),
            migrations: u64_at(8),
            tid: u32_at(0),
            tgid: u32_at(1),
            ppid: u32_at(2),
            state: u32_at(3),
            exit_state: u32_at(4),
            flags: u32_at(5),
            cpu: u32_at(6),
            policy: u32_at(7),
            rt_priority: u32_at(8),
            prio: u32_at(9) as i32,
            static_prio: u32_at(10) as i32,
            nr_threads: u32_at(11),
            comm,
        })
    }

    /// The letter /proc shows, computed as the kernel's `task_state_index()` does.
    pub fn state_letter(&self) -> u8 {
        state_letter(self.state, self.exit_state)
    }

    /// The task as the scanner would have read it from `stat` and `schedstat`, ticks of
    /// `clk_tck` per second. Not known here: RSS (a process's, taken from its leader's
    /// `stat`), left 0.
    pub fn to_task_info(&self, clk_tck: u64) -> TaskInfo {
        let ns_per_tick = 1_000_000_000 / clk_tck.max(1);
        let (utime, stime) = cputime_adjust(self.run_ns, self.utime_ns, self.stime_ns);
        let comm_len = self.comm.iter().position(|&b| b == 0).unwrap_or(16);
        TaskInfo {
            tid: self.tid,
            tgid: self.tgid,
            comm: Comm::new(&self.comm[..comm_len]),
            state: self.state_letter(),
            ppid: self.ppid,
            flags: self.flags,
            utime_ticks: utime / ns_per_tick,
            stime_ticks: stime / ns_per_tick,
            // As `stat` gives them: task_prio() is prio - MAX_RT_PRIO; nice from static_prio.
            priority: saturate(i64::from(self.prio) - 100),
            nice: saturate(i64::from(self.static_prio) - 120),
            num_threads: self.nr_threads,
            start_ticks: self.start_boottime_ns / ns_per_tick,
            rss_pages: 0,
            processor: u16::try_from(self.cpu).ok(),
            rt_priority: saturate(self.rt_priority),
            policy: saturate(self.policy),
            schedstat: Ok(SchedStat {
                run_ns: self.run_ns,
                wait_ns: self.wait_ns,
                timeslices: self.timeslices,
            }),
            ..TaskInfo::EMPTY
        }
    }
}

/// `task_state_index()` (include/linux/sched.h): the report bits of state and exit state,
/// an idle kernel wait as `I`, an RT-lock wait as `D`; the letter is indexed by the
/// highest bit set, in "RSDTtXZPI".
pub fn state_letter(state: u32, exit_state: u32) -> u8 {
    const TASK_REPORT: u32 = 0x7f;
    const TASK_IDLE: u32 = 0x402; // TASK_UNINTERRUPTIBLE | TASK_NOLOAD
    const TASK_RTLOCK_WAIT: u32 = 0x1000;
    let mut s = (state | exit_state) & TASK_REPORT;
    if state & TASK_IDLE == TASK_IDLE {
        s = TASK_REPORT + 1;
    }
    if state == TASK_RTLOCK_WAIT {
        s = 0x2;
    }
    let index = (u32::BITS - s.leading_zeros()) as usize;
    b"RSDTtXZPI".get(index).copied().unwrap_or(b'?')
}

/// The split of `run_ns` between user and system time in the ratio of the tick samples,
/// as the kernel's `cputime_adjust()` does for `stat` (without its per-reader memory of
/// the last value given, so it may differ from /proc's by a tick or two).
pub fn cputime_adjust(run_ns: u64, utime: u64, stime: u64) -> (u64, u64) {
    if utime == 0 {
        return (0, run_ns);
    }
    if stime == 0 {
        return (run_ns, 0);
    }
    let total = u128::from(utime) + u128::from(stime);
    let s = (u128::from(stime) * u128::from(run_ns) / total) as u64;
    (run_ns - s, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_letters_follow_the_kernel() {
        assert_eq!(state_letter(0, 0), b'R');
        assert_eq!(state_letter(0x1, 0), b'S');
        assert_eq!(state_letter(0x2, 0), b'D');
        assert_eq!(state_letter(0x402, 0), b'I');
        assert_eq!(state_letter(0x4, 0), b'T');
        assert_eq!(state_letter(0x8, 0), b't');
        assert_eq!(state_letter(0x0, 0x20), b'Z');
        assert_eq!(state_letter(0x80, 0x10), b'X');
        assert_eq!(state_letter(0x40, 0), b'P');
        assert_eq!(state_letter(0x1000, 0), b'D');
        // TASK_FREEZABLE and other high bits are not reported.
        assert_eq!(state_letter(0x1 | 0x2000, 0), b'S');
    }

    #[test]
    fn cpu_time_is_split_in_the_samples_ratio() {
        assert_eq!(cputime_adjust(100, 0, 0), (0, 100));
        assert_eq!(cputime_adjust(100, 5, 0), (100, 0));
        assert_eq!(cputime_adjust(100, 1, 3), (25, 75));
    }

    #[test]
    fn a_record_decodes_in_the_c_layout() {
        let mut b = vec![0u8; RECORD_LEN];
        b[8..16].copy_from_slice(&7u64.to_ne_bytes()); // run_ns
        b[72..76].copy_from_slice(&42u32.to_ne_bytes()); // tid
        b[72 + 9 * 4..72 + 10 * 4].copy_from_slice(&120i32.to_ne_bytes()); // prio
        b[72 + 10 * 4..72 + 11 * 4].copy_from_slice(&125i32.to_ne_bytes()); // static_prio
        b[RECORD_LEN - 16..RECORD_LEN - 13].copy_from_slice(b"abc");
        let r = TaskRec::parse(&b).expect("a whole record");
        assert_eq!((r.run_ns, r.tid), (7, 42));
        let t = r.to_task_info(100);
        assert_eq!(t.comm, b"abc");
        assert_eq!((t.priority, t.nice), (20, 5));
        assert!(TaskRec::parse(&b[..RECORD_LEN - 1]).is_none());
    }
}
