//! The privileged task source: a BPF task iterator (`iter/task`) that writes every task's
//! hot fields (ids, start time, state, last CPU, run and wait time as `schedstat` gives
//! them, switches, priorities, policy, flags, comm) in one pass in the kernel, read with a
//! few read(2)s a tick, instead of the /proc scanner's two files per task.
//!
//! It follows `--events`: tried when events are (`auto` or `on`), never with `off`. When
//! it cannot load, the scanner reads /proc as it always does and the snapshot says why
//! (`TaskSource::Proc`). What the iterator cannot give (RSS, command lines, owners,
//! `status`, `sched`, the explain card's files, a workqueue worker's full name) still
//! comes from /proc: each process's leader is read there, with the files only some rows
//! ask for.

pub mod record;
pub mod walk;

use std::io::Read;
use std::sync::Arc;

use aya::programs::Iter;
use aya::{Btf, EbpfLoader};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::events::{Mode, why};
pub use record::{RECORD_LEN, TaskRec};

/// Why `-p` reads /proc: the iterator walks every task on the machine, so its cost is the
/// machine's (about 0.65 us a task), where /proc costs what the chosen processes have
/// (about 6 us a task): cheaper unless they hold a tenth of the machine's tasks.
pub const NOT_WITH_PIDS: &str = "-p: only the chosen processes are read, from /proc (the iterator walks every task on the machine)";

/// The compiled program (assets/bpf/tasks.bpf.c, rebuilt by assets/bpf/build.sh).
static OBJECT: &[u8] = aya::include_bytes_aligned!("../../../assets/bpf/tasks.bpf.o");

const PROGRAM: &str = "dump_task";

/// Test-only: the walk is not tried, so that iter/task, its fall-back, runs (as on a
/// kernel before 6.7) through the real binary.
const TEST_NO_WALK_ENV: &str = "THREADTOP_TEST_NO_WALK";

/// Where a snapshot's per-task fields came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TaskSource {
    /// /proc, and why not the iterator (`None`: not asked for, as in tests and replays).
    #[default]
    Proc,
    ProcBecause(Arc<str>),
    /// A BPF program, the walk or iter/task (each process's leader from /proc).
    Iterator(Kind),
}

impl TaskSource {
    /// Why the iterator was not used, when it was asked for and could not be.
    pub fn why_not(&self) -> Option<&str> {
        match self {
            TaskSource::ProcBecause(why) => Some(why),
            _ => None,
        }
    }
}

pub struct TaskIter {
    backend: Backend,
    /// Why the task walk is not the backend, when it is not.
    walk_why_not: Option<String>,
}

/// The two programs that read every task: the walk (open-coded iterator, kernel 6.7+)
/// where it loads, else `iter/task` (5.8+).
enum Backend {
    Walk(walk::TaskWalk),
    Iter {
        /// threadtop's link for the loaded program (the program lives as long as it);
        /// each pass is a file made from it.
        link: OwnedFd,
        /// The last pass's records, whole, read straight in (the kernel hands out its
        /// 8-page seq buffer per read); reused.
        buf: Vec<u8>,
        /// Bytes of `buf` the last pass filled with whole records.
        len: usize,
    },
}

/// A loaded `TaskIter`'s descriptors and what goes with them, to hand over.
pub enum Parts<'a> {
    Walk(&'a walk::TaskWalk),
    IterTask {
        link: BorrowedFd<'a>,
        walk_why_not: Option<&'a str>,
    },
}

/// Which program a `TaskIter` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `walk.bpf.c`: one program run follows the task list (bpf_iter_task kfuncs).
    Walk,
    /// `tasks.bpf.c`: `iter/task`, a program run per task, read with read(2).
    IterTask,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Walk => "task walk",
            Kind::IterTask => "iter/task",
        }
    }

    /// As `--json` names it (`system.task_program`).
    pub fn json_name(self) -> &'static str {
        match self {
            Kind::Walk => "task_walk",
            Kind::IterTask => "iter_task",
        }
    }
}

/// Bytes asked for per read(2). The kernel hands out at most its 8-page (32 KiB) seq
/// buffer per read, so a larger buffer would not mean fewer reads (65 reads for 15,200
/// tasks, measured: a few microseconds each beside a 10 ms pass); room for more than 32
/// KiB after a record cut by the last read keeps each read a whole buffer.
const READ_CHUNK: usize = 64 * 1024;

impl TaskIter {
    /// Loads the program as `mode` asks; `Err` says why not, for the user.
    pub fn start(mode: Mode) -> Result<TaskIter, String> {
        if mode == Mode::Off {
            return Err("off (--events off)".into());
        }
        if let Some(why) = crate::collect::events::handover::child_crashed() {
            // The events' loading child crashed parsing the same BTF with the same code.
            return Err(format!(
                "not loaded in threadtop: the BPF loading process crashed ({why})"
            ));
        }
        Self::load()
    }

    /// Loads and checks the program (one pass is read to be sure it works here), parsing
    /// the kernel's BTF for it; `load_with` shares a parse already made.
    pub fn load() -> Result<TaskIter, String> {
        Self::load_only(None)
    }

    /// As `load`, with only `kind` tried (`None`: the walk, else iter/task).
    pub fn load_only(kind: Option<Kind>) -> Result<TaskIter, String> {
        let fail = Self::failure();
        Self::precheck()?;
        let btf = Btf::from_sys_fs().map_err(|e| fail(format!("reading BTF: {e}")))?;
        let it = match kind {
            None => Self::load_with(&btf),
            Some(Kind::Walk) => Self::load_walk(&btf),
            Some(Kind::IterTask) => Self::load_iter_task(&btf),
        };
        drop(btf);
        return_freed_memory();
        it
    }

    /// The walk with a records map of `capacity` to start with (tests: it grows when a
    /// pass finds more tasks).
    #[doc(hidden)]
    pub fn load_walk_sized(capacity: u32) -> Result<TaskIter, String> {
        Self::precheck()?;
        let btf = Btf::from_sys_fs().map_err(|e| format!("reading BTF: {e}"))?;
        let walk = walk::TaskWalk::load(&btf, capacity)?;
        Ok(TaskIter {
            backend: Backend::Walk(walk),
            walk_why_not: None,
        })
    }

    /// How many records the walk's map holds now (`None`: not the walk).
    pub fn walk_capacity(&self) -> Option<u32> {
        match &self.backend {
            Backend::Walk(w) => Some(w.capacity()),
            Backend::Iter { .. } => None,
        }
    }

    /// Bytes of the walk's map mapped into threadtop (`None`: not the walk).
    pub fn walk_mapped_bytes(&self) -> Option<usize> {
        match &self.backend {
            Backend::Walk(w) => Some(w.mapped_bytes()),
            Backend::Iter { .. } => None,
        }
    }

    /// `iter/task` read through `link` (made by `bpf_sys::iter_link`).
    fn of_iter_link(link: OwnedFd) -> TaskIter {
        TaskIter {
            backend: Backend::Iter {
                link,
                buf: Vec::new(),
                len: 0,
            },
            walk_why_not: None,
        }
    }

    /// What another process needs to run this (`events::handover`).
    pub fn parts(&self) -> Parts<'_> {
        match &self.backend {
            Backend::Walk(w) => Parts::Walk(w),
            Backend::Iter { link, .. } => Parts::IterTask {
                link: link.as_fd(),
                walk_why_not: self.walk_why_not.as_deref(),
            },
        }
    }

    /// The walk another process loaded (`walk::TaskWalk::from_parts`).
    pub fn of_walk(walk: walk::TaskWalk) -> TaskIter {
        TaskIter {
            backend: Backend::Walk(walk),
            walk_why_not: None,
        }
    }

    /// `iter/task` another process loaded and linked, and why the walk was not loaded.
    pub fn of_iter_task(link: OwnedFd, walk_why_not: Option<String>) -> TaskIter {
        let mut it = Self::of_iter_link(link);
        it.walk_why_not = walk_why_not;
        it
    }

    /// Which program this runs.
    pub fn kind(&self) -> Kind {
        match self.backend {
            Backend::Walk(_) => Kind::Walk,
            Backend::Iter { .. } => Kind::IterTask,
        }
    }

    /// Why the walk is not the program run, when it is not.
    pub fn walk_why_not(&self) -> Option<&str> {
        self.walk_why_not.as_deref()
    }

    /// Whether the iterator can be tried at all here (privileges, kernel, BTF).
    fn precheck() -> Result<(), String> {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let release = rustix::system::uname()
            .release()
            .to_string_lossy()
            .into_owned();
        let btf_present = std::path::Path::new(why::BTF_PATH).exists();
        match why::precheck(&status, &release, btf_present) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    fn failure() -> impl Fn(String) -> String {
        let lockdown = std::fs::read_to_string("/sys/kernel/security/lockdown").ok();
        move |what: String| {
            why::explain_failure(&why::short_error(&what), lockdown.as_deref())
                .replace("the BPF programs", "the BPF task iterator")
        }
    }

    /// As `load`, with the kernel's BTF already parsed (by the event source, which loads
    /// both: one parse instead of two, see `EventSource::load`).
    /// The walk where it loads, else iter/task.
    pub fn load_with(btf: &Btf) -> Result<TaskIter, String> {
        match Self::load_walk(btf) {
            Ok(it) => Ok(it),
            Err(why) => {
                let mut it = Self::load_iter_task(btf)?;
                it.walk_why_not = Some(why);
                Ok(it)
            }
        }
    }

    fn load_walk(btf: &Btf) -> Result<TaskIter, String> {
        Self::precheck()?;
        if std::env::var_os(TEST_NO_WALK_ENV).is_some() {
            return Err(format!("the walk is not tried ({TEST_NO_WALK_ENV} is set)"));
        }
        let fail = Self::failure();
        let walk = walk::TaskWalk::load(btf, walk::capacity_for(tasks_now()))
            .map_err(|e| fail(e).replace("BPF task iterator", "BPF task walk"))?;
        Ok(TaskIter {
            backend: Backend::Walk(walk),
            walk_why_not: None,
        })
    }

    fn load_iter_task(btf: &Btf) -> Result<TaskIter, String> {
        Self::precheck()?;
        let fail = Self::failure();
        // `EbpfLoader::new` parses the kernel's BTF again (about 16 MiB of heap) while
        // `btf` is alive, and the parse is dropped at once for `btf`. Only here, the
        // walk's fall-back, do the two parses overlap (see `EventSource::load`).
        let mut ebpf = EbpfLoader::new()
            .btf(None)
            .btf(Some(btf))
            .load(OBJECT)
            .map_err(|e| fail(e.to_string()))?;
        let prog: &mut Iter = ebpf
            .program_mut(PROGRAM)
            .ok_or_else(|| fail(format!("program {PROGRAM} missing from the object")))?
            .try_into()
            .map_err(|e| fail(format!("{PROGRAM}: {e}")))?;
        prog.load("task", btf)
            .map_err(|e| fail(format!("iter/task: {e}")))?;
        let prog_fd = prog.fd().map_err(|e| fail(format!("iter/task: {e}")))?;
        let link = crate::collect::bpf_sys::iter_link(prog_fd.as_fd())
            .map_err(|e| fail(format!("attaching iter/task: {e}")))?;
        // The link holds the program: aya's copy of it (and of the object) can go.
        drop(ebpf);
        let mut it = Self::of_iter_link(link);
        let mut probe = Vec::new();
        it.read(&mut probe).map_err(&fail)?;
        if !probe.iter().any(|r| r.tid == std::process::id()) {
            return Err(fail("the iterator did not list threadtop itself".into()));
        }
        Ok(it)
    }

    /// One pass over every task into `out` (cleared first): in TID order from
    /// iter/task, in the task list's order from the walk.
    pub fn read(&mut self, out: &mut Vec<TaskRec>) -> Result<(), String> {
        out.clear();
        TaskRec::parse_all(self.pass_records()?, out);
        Ok(())
    }

    /// One pass over every task: the records, whole (`RECORD_LEN` each, see
    /// [`TaskRec::parse`]), in the order of [`TaskIter::read`].
    pub fn pass_records(&mut self) -> Result<&[u8], String> {
        match &mut self.backend {
            Backend::Walk(walk) => walk.pass_records(),
            Backend::Iter { link, buf, len } => {
                *len = read_iter_task(link.as_fd(), buf)?;
                Ok(&buf[..*len])
            }
        }
    }

    /// Gives back what holds the last pass's records where that costs RSS between
    /// passes (the walk's mapping); `records` is empty until the next pass.
    pub fn release(&mut self) {
        if let Backend::Walk(walk) = &mut self.backend {
            walk.release();
        }
    }

    /// The last pass's records again (empty before the first or after a failed one).
    pub fn records(&mut self) -> &[u8] {
        match &mut self.backend {
            Backend::Walk(walk) => walk.records(),
            Backend::Iter { buf, len, .. } => &buf[..*len],
        }
    }

    /// One pass over every task, as `pass_records`, but read with `record`: the walk's
    /// records are then mapped a window at a time. Returns how many records there are.
    pub fn pass(&mut self) -> Result<usize, String> {
        match &mut self.backend {
            Backend::Walk(walk) => walk.pass_windowed(),
            Backend::Iter { link, buf, len } => {
                *len = read_iter_task(link.as_fd(), buf)?;
                Ok(*len / RECORD_LEN)
            }
        }
    }

    /// `f` of the last pass's record `i`, whole (`None` past the last). `f` is a plain
    /// function (`TaskRec::parse`, `TaskRec::ids`): it reads the record where it lies,
    /// in the walk's window, which it cannot move.
    pub fn with_record<R>(&self, i: usize, f: fn(&[u8]) -> Option<R>) -> Option<R> {
        match &self.backend {
            Backend::Walk(walk) => walk.with_record(i, f),
            Backend::Iter { buf, len, .. } => {
                f(buf.get(..*len)?.get(i * RECORD_LEN..(i + 1) * RECORD_LEN)?)
            }
        }
    }

    /// A copy of the last pass's record `i` (`None` past the last).
    pub fn record(&self, i: usize) -> Option<[u8; RECORD_LEN]> {
        self.with_record(i, |b| b.try_into().ok())
    }
}

/// Tasks on the machine now (/proc/loadavg's fourth field), to size the walk's map.
fn tasks_now() -> u32 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| crate::collect::system::loadavg_pids(&s))
        .map_or(0, |(tasks, _)| u32::try_from(tasks).unwrap_or(u32::MAX))
}

/// One pass of iter/task into `buf` (grown as needed, kept): the bytes of whole records.
fn read_iter_task(link: BorrowedFd<'_>, buf: &mut Vec<u8>) -> Result<usize, String> {
    // A file per pass from the kept link: one system call beside the reads.
    let mut file = crate::collect::bpf_sys::iter_file(link)
        .map_err(|e| format!("creating the iterator: {e}"))?;
    let mut filled = 0;
    loop {
        if buf.len() - filled < READ_CHUNK {
            buf.resize(filled + READ_CHUNK, 0);
        }
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading the iterator: {e}")),
        }
    }
    // The program writes whole records; a cut one at the end would be a short read.
    Ok(filled / RECORD_LEN * RECORD_LEN)
}

/// Hands the heap freed after a load back to the kernel. Parsing the kernel's BTF takes
/// about 23 MiB here (5.5 MiB of BTF); once it is dropped glibc keeps the freed pages in
/// the process: measured 16.3 MiB resident after the drop, 3.0 MiB after the trim.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap memory; safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
