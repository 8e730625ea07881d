//! The kernel-side map values, byte for byte as assets/bpf/sched.bpf.c declares them.
//! Both sides assert the same sizes (`_Static_assert` there, `const` asserts here), and
//! aya refuses a map whose value size differs, so a one-sided change cannot load.

/// Histogram buckets: 0 is under 1 µs; then four per power of two of microseconds
/// (bucket `1 + 4 * log2(us) + quarter`), the last one open-ended (2^24 µs, 16.8 s, up).
pub const NBUCKETS: usize = 100;
/// CPUs whose time is kept apart per task per tick; time on others is summed.
pub const NSLOTS: usize = 4;

/// Reasons a task is off a CPU, as `collect::waits::Reason` numbers them.
pub const NOFF: usize = 6;

/// flags: the task exited (its entry is dropped once read).
pub const EXITED: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSlot {
    pub cpu: u32,
    pub pad: u32,
    pub ns: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Half {
    pub generation: u64,
    pub count: u32,
    pub migrations: u32,
    pub voluntary: u32,
    pub involuntary: u32,
    pub max_ns: u64,
    /// CLOCK_MONOTONIC ns of the switch-in that ended the longest wait.
    pub max_at: u64,
    pub other_ns: u64,
    pub slots: [CpuSlot; NSLOTS],
    pub wakings: u32,
    pub waker_tid: u32,
    pub waker_votes: u32,
    pub waker_hits: u32,
    pub waker_comm: [u8; 16],
    /// Wakeups from interrupt context (a timer or a device handler): no task woke it.
    pub irq_wakings: u32,
    pub pad: u32,
    /// Time off a CPU (switched out blocked, until woken) in the generation, ns, by reason
    /// (the order of `collect::waits::Reason`).
    pub off_ns: [u64; NOFF],
    pub hist: [u32; NBUCKETS],
}

impl Half {
    pub const ZERO: Half = Half {
        generation: 0,
        count: 0,
        migrations: 0,
        voluntary: 0,
        involuntary: 0,
        max_ns: 0,
        max_at: 0,
        other_ns: 0,
        slots: [CpuSlot {
            cpu: 0,
            pad: 0,
            ns: 0,
        }; NSLOTS],
        wakings: 0,
        waker_tid: 0,
        waker_votes: 0,
        waker_hits: 0,
        waker_comm: [0; 16],
        irq_wakings: 0,
        pad: 0,
        off_ns: [0; NOFF],
        hist: [0; NBUCKETS],
    };
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TaskVal {
    /// `task_struct.start_boottime`, ns: /proc's starttime is this in clock ticks.
    pub start_boottime: u64,
    pub enq_ts: u64,
    pub flags: u32,
    pub pad: u32,
    /// CLOCK_MONOTONIC ns at which it switched out blocked; 0: not off a CPU.
    pub off_ts: u64,
    /// Why, while `off_ts` is set (`collect::waits::Reason as u32`).
    pub off_reason: u32,
    pub pad2: u32,
    pub h: [Half; 2],
}

impl TaskVal {
    pub const ZERO: TaskVal = TaskVal {
        start_boottime: 0,
        enq_ts: 0,
        flags: 0,
        pad: 0,
        off_ts: 0,
        off_reason: 0,
        pad2: 0,
        h: [Half::ZERO; 2],
    };
}

/// Per CPU: the task switched in at the last switch seen there, and when.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuState {
    /// CLOCK_MONOTONIC ns of the last switch on this CPU; 0: none since the attach.
    pub since: u64,
    pub start_boottime: u64,
    pub tid: u32,
    /// Interrupt handlers this CPU is in (only the kernel side uses it).
    pub irq_depth: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GenVal {
    pub generation: u64,
    /// CLOCK_MONOTONIC ns at which user space started this generation.
    pub start_ns: u64,
}

const _: () = assert!(std::mem::size_of::<Half>() == 600);
const _: () = assert!(std::mem::size_of::<TaskVal>() == 1240);
const _: () = assert!(std::mem::size_of::<CpuState>() == 24);
const _: () = assert!(std::mem::size_of::<GenVal>() == 16);

// SAFETY: plain `repr(C)` integers and arrays of them, no padding the C side does not
// also declare: every bit pattern is a valid value.
unsafe impl aya::Pod for TaskVal {}
// SAFETY: as above.
unsafe impl aya::Pod for GenVal {}
// SAFETY: as above.
unsafe impl aya::Pod for CpuState {}
