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

use std::io::Read;
use std::sync::Arc;

use aya::programs::Iter;
use aya::{Btf, Ebpf, EbpfLoader};

use super::events::{Mode, why};
pub use record::{RECORD_LEN, TaskRec};

/// Why `-p` reads /proc: the iterator walks every task on the machine, so its cost is the
/// machine's (about 0.65 us a task), where /proc costs what the chosen processes have
/// (about 6 us a task): cheaper unless they hold a tenth of the machine's tasks.
pub const NOT_WITH_PIDS: &str = "-p: only the chosen processes are read, from /proc (the iterator walks every task on the machine)";

/// The compiled program (assets/bpf/tasks.bpf.c, rebuilt by assets/bpf/build.sh).
static OBJECT: &[u8] = aya::include_bytes_aligned!("../../../assets/bpf/tasks.bpf.o");

const PROGRAM: &str = "dump_task";

/// Where a snapshot's per-task fields came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TaskSource {
    /// /proc, and why not the iterator (`None`: not asked for, as in tests and replays).
    #[default]
    Proc,
    ProcBecause(Arc<str>),
    /// The BPF task iterator (each process's leader from /proc).
    Iterator,
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
    ebpf: Ebpf,
    /// Read buffer, reused: the kernel hands out its 8-page seq buffer per read.
    buf: Vec<u8>,
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
        Self::load()
    }

    /// Loads and checks the program (one pass is read to be sure it works here), parsing
    /// the kernel's BTF for it; `load_with` shares a parse already made.
    pub fn load() -> Result<TaskIter, String> {
        let fail = Self::failure();
        Self::precheck()?;
        let btf = Btf::from_sys_fs().map_err(|e| fail(format!("reading BTF: {e}")))?;
        let it = Self::load_with(&btf);
        drop(btf);
        return_freed_memory();
        it
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
    pub fn load_with(btf: &Btf) -> Result<TaskIter, String> {
        Self::precheck()?;
        let fail = Self::failure();
        let mut ebpf = EbpfLoader::new()
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
        let mut it = TaskIter {
            ebpf,
            buf: vec![0; READ_CHUNK],
        };
        let mut probe = Vec::new();
        it.read(&mut probe).map_err(&fail)?;
        if !probe.iter().any(|r| r.tid == std::process::id()) {
            return Err(fail("the iterator did not list threadtop itself".into()));
        }
        Ok(it)
    }

    /// One pass over every task, in TID order, into `out` (cleared first).
    pub fn read(&mut self, out: &mut Vec<TaskRec>) -> Result<(), String> {
        out.clear();
        let prog: &mut Iter = self
            .ebpf
            .program_mut(PROGRAM)
            .ok_or("program missing")?
            .try_into()
            .map_err(|e| format!("{e}"))?;
        // A link per pass, dropped with it: the iterator's file holds what it needs, and
        // two syscalls a tick cost nothing beside the pass.
        let id = prog
            .attach()
            .map_err(|e| format!("attaching: {e}: {:?}", std::error::Error::source(&e)))?;
        let link = prog.take_link(id).map_err(|e| format!("{e}"))?;
        let mut file = link
            .into_file()
            .map_err(|e| format!("creating the iterator: {e}"))?;
        let mut filled = 0;
        loop {
            let n = match file.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("reading the iterator: {e}")),
            };
            filled += n;
            let whole = filled / RECORD_LEN * RECORD_LEN;
            out.reserve(whole / RECORD_LEN);
            out.extend(
                self.buf[..whole]
                    .chunks_exact(RECORD_LEN)
                    .filter_map(TaskRec::parse),
            );
            // A record cut by the read's end: its rest comes with the next read.
            self.buf.copy_within(whole..filled, 0);
            filled -= whole;
        }
        Ok(())
    }
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
