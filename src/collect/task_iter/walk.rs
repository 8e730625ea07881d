//! The task walk: one run of a BPF program (`assets/bpf/walk.bpf.c`, one
//! `BPF_PROG_TEST_RUN` syscall) follows the kernel's task list with the open-coded task
//! iterator (`bpf_iter_task_*` kfuncs, kernel 6.7+) and writes every task's record
//! (`TaskRec`, the same as `iter/task`'s) into an array map threadtop has memory-mapped:
//! no file, no read(2), no copy.
//!
//! Why it exists beside `iter/task`: that iterator looks every task up by PID and takes a
//! reference on it, 0.41 us a task on this machine before its program does anything,
//! about 0.07x the /proc scanner on its own; following the list's pointers under RCU does
//! neither (see README, Performance).
//!
//! threadtop loads this program itself: aya 0.14 relocates CO-RE fields and maps (its
//! object crate, `aya_obj`, does that here too) but not kfunc calls, which are patched
//! below with each kfunc's BTF id in the running kernel.

use std::cell::Cell;
use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use aya::Btf;
use aya_obj::btf::BtfKind;
use aya_obj::generated::bpf_insn;
use object::{Object as _, ObjectSection as _, ObjectSymbol as _, RelocationTarget};

use super::record::{RECORD_LEN, TaskRec};
use crate::collect::bpf_sys::bpf;

/// The compiled program (assets/bpf/walk.bpf.c, rebuilt by assets/bpf/build.sh).
static OBJECT: &[u8] = aya::include_bytes_aligned!("../../../assets/bpf/walk.bpf.o");

/// The program's section: a name aya's object parser accepts (it knows no `syscall`);
/// the program is loaded as `BPF_PROG_TYPE_SYSCALL` whatever the name says.
const SECTION: &str = "iter.s/task";
const PROGRAM: &str = "walk_tasks";
/// The name the kernel shows for the loaded program (bpftool, /proc/PID/fdinfo).
pub const PROG_NAME: &str = "tt_walk_tasks";

// From the kernel's uapi <linux/bpf.h>.
const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TEST_RUN: libc::c_long = 10;
const BPF_MAP_TYPE_ARRAY: u32 = 2;
const BPF_F_MMAPABLE: u32 = 1 << 10;
const BPF_PROG_TYPE_SYSCALL: u32 = 31;
const BPF_F_SLEEPABLE: u32 = 1 << 4;
const BPF_PSEUDO_KFUNC_CALL: u8 = 2;
const BPF_JMP_CALL: u8 = 0x85;

/// Records the map holds at least. It is sized at load from the machine's task count (a
/// record is 136 bytes of kernel memory: 8.9 MiB for 65,536) and grown when a pass finds
/// more tasks than it holds.
const MIN_CAPACITY: u32 = 16_384;

#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
}

#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
}

#[repr(C)]
#[derive(Default)]
struct TestRunAttr {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
    ctx_size_in: u32,
    ctx_size_out: u32,
    ctx_in: u64,
    ctx_out: u64,
}

fn name16(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let n = name.len().min(15);
    out[..n].copy_from_slice(&name.as_bytes()[..n]);
    out
}

fn create_array(name: &str, value_size: u32, entries: u32, flags: u32) -> Result<OwnedFd, String> {
    let mut attr = MapCreateAttr {
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size,
        max_entries: entries,
        map_flags: flags,
        map_name: name16(name),
        ..Default::default()
    };
    let fd = bpf(BPF_MAP_CREATE, &mut attr)
        .map_err(|e| format!("creating map {name} ({entries} entries): {e}"))?;
    // SAFETY: BPF_MAP_CREATE returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The records map, memory-mapped read-only, a part at a time. The kernel maps every page
/// of a mapping at mmap time, so all of it counts in RSS while mapped: the map holds twice
/// the tasks at load rounded up to a power of two (32,768 records, 4.3 MiB, at 10,000
/// threads), where 10,000 records are 1.3 MiB. The scanner reads them through a window
/// (`record`) of `WINDOW` bytes that moves as it goes (about twenty mappings a pass at
/// 10,000 threads); `map` maps what a pass wrote at once, for a whole read.
struct Records {
    fd: OwnedFd,
    capacity: u32,
    /// The mapping, the map's byte it starts at, and its length (0: nothing mapped).
    ptr: Cell<*const u8>,
    off: Cell<usize>,
    len: Cell<usize>,
}

/// Bytes a window maps (then at most one record more, to hold a record it cuts). Whole
/// passes mapped at once set the privileged path's peak RSS at 10,000 threads: 17.8 MiB
/// for 5 ms a tick, where the rest of the tick stayed at 16.5 (VmRSS every 5 ms).
const WINDOW: usize = 128 * 1024;

// SAFETY: the mapping is only read, and only by the thread that owns the struct (it is
// Send, not Sync: the window moves through shared references).
unsafe impl Send for Records {}

impl Records {
    fn new(capacity: u32) -> Result<Records, String> {
        let fd = create_array("tt_walk_recs", RECORD_LEN as u32, capacity, BPF_F_MMAPABLE)?;
        Ok(Records::of(fd, capacity))
    }

    /// The records map `fd`, made elsewhere with room for `capacity`.
    fn of(fd: OwnedFd, capacity: u32) -> Records {
        Records {
            fd,
            capacity,
            ptr: Cell::new(std::ptr::null()),
            off: Cell::new(0),
            len: Cell::new(0),
        }
    }

    /// Bytes of the map's values, rounded up to a page (what may be mapped).
    fn full(&self) -> usize {
        let page = rustix::param::page_size();
        (self.capacity as usize * RECORD_LEN).div_ceil(page) * page
    }

    /// Maps bytes `from..to` of the map (widened to pages), replacing any mapping.
    fn map_range(&self, from: usize, to: usize) -> Result<(), String> {
        let page = rustix::param::page_size();
        let off = from / page * page;
        let end = (to.div_ceil(page) * page).min(self.full());
        if end <= off {
            self.unmap();
            return Ok(());
        }
        let len = end - off;
        self.unmap();
        // SAFETY: mapping a BPF array created with BPF_F_MMAPABLE, read-only and shared,
        // at a page-aligned offset, no further than its values' size rounded up to a page
        // (the kernel allows any range within that).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                self.fd.as_raw_fd(),
                off as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "mapping the records ({len} bytes at {off}): {}",
                std::io::Error::last_os_error()
            ));
        }
        self.ptr.set(ptr as *const u8);
        self.off.set(off);
        self.len.set(len);
        Ok(())
    }

    /// Maps the first `records` records (no more than the map holds) at once, unless
    /// they are mapped already.
    fn map(&mut self, records: u32) -> Result<(), String> {
        let want = records.min(self.capacity) as usize * RECORD_LEN;
        if self.off.get() == 0 && want <= self.len.get() {
            return Ok(());
        }
        self.map_range(0, want)
    }

    /// The first `records` records, when `map` mapped them (else empty).
    fn bytes(&self, records: usize) -> &[u8] {
        if self.off.get() != 0 {
            return &[];
        }
        let n = (records * RECORD_LEN).min(self.len.get()) / RECORD_LEN * RECORD_LEN;
        if n == 0 {
            return &[];
        }
        // SAFETY: the mapping is `len` bytes long from the map's start and n <= len. It
        // is unmapped only by `unmap`, `map_range` and `record`; the walk hands this slice
        // out only under &mut self (`pass_records`, `records`), so none of those can run
        // while it is borrowed, and a pass (the kernel writing) also needs &mut self.
        unsafe { std::slice::from_raw_parts(self.ptr.get(), n) }
    }

    /// `f` of record `i` (of `seen` the pass wrote), read through the window. `f` is a
    /// plain function: it cannot reach this struct and move the window under the slice.
    fn with_record<R>(&self, i: usize, seen: usize, f: fn(&[u8]) -> Option<R>) -> Option<R> {
        if i >= seen.min(self.capacity as usize) {
            return None;
        }
        let (from, to) = (i * RECORD_LEN, (i + 1) * RECORD_LEN);
        let (off, len) = (self.off.get(), self.len.get());
        if len == 0 || from < off || to > off + len {
            let end = (from + WINDOW).max(to).min(seen * RECORD_LEN);
            self.map_range(from, end).ok()?;
        }
        let at = from - self.off.get();
        // SAFETY: at + RECORD_LEN <= len (checked above, or the range just mapped covers
        // from..to), and nothing unmaps it while `f` runs: `f` cannot reach `self`.
        let rec = unsafe { std::slice::from_raw_parts(self.ptr.get().add(at), RECORD_LEN) };
        f(rec)
    }

    /// Bytes of the map mapped now (and so resident).
    fn mapped(&self) -> usize {
        self.len.get()
    }

    fn unmap(&self) {
        let len = self.len.get();
        if len > 0 {
            // SAFETY: unmapping exactly what `map_range` mapped. No slice of it is alive:
            // `bytes`' slices are handed out under the walk's &mut (see there).
            unsafe {
                libc::munmap(self.ptr.get() as *mut libc::c_void, len);
            }
            self.ptr.set(std::ptr::null());
            self.off.set(0);
            self.len.set(0);
        }
    }
}

impl Drop for Records {
    fn drop(&mut self) {
        self.unmap();
    }
}

/// The relocated program, kept so that a bigger records map can be put in and the
/// program loaded again without the kernel's BTF.
struct Program {
    insns: Vec<bpf_insn>,
    /// Indices of the `ld_imm64`s that load the records map.
    recs_at: Vec<usize>,
}

pub struct TaskWalk {
    program: Program,
    prog: OwnedFd,
    records: Records,
    /// Tasks the last pass wrote.
    seen: u32,
    /// Kept open: the program refers to it.
    _state: OwnedFd,
}

impl TaskWalk {
    /// Loads the walk with the kernel's BTF parsed (for CO-RE and the kfuncs' ids), its
    /// records map holding `capacity` to start with (see `capacity_for`), and checks it
    /// with one pass; `Err` says what failed.
    pub fn load(btf: &Btf, capacity: u32) -> Result<TaskWalk, String> {
        let mut obj =
            aya_obj::Object::parse(OBJECT).map_err(|e| format!("parsing walk.bpf.o: {e}"))?;
        obj.relocate_btf(btf)
            .map_err(|e| format!("CO-RE relocation: {e}"))?;
        let records = Records::new(capacity)?;
        let state = create_array("tt_walk_state", 8, 1, 0)?;
        let (recs_map, state_map) = match (obj.maps.get("recs"), obj.maps.get("state")) {
            (Some(r), Some(s)) => (r.clone(), s.clone()),
            _ => return Err("walk.bpf.o lacks its maps".into()),
        };
        let maps = [
            ("recs", records.fd.as_raw_fd(), &recs_map),
            ("state", state.as_raw_fd(), &state_map),
        ];
        let text = HashSet::new();
        obj.relocate_maps(maps.into_iter(), &text)
            .map_err(|e| format!("map relocation: {e}"))?;
        // No relocate_calls: the program has no subprograms (fill_task_rec is always
        // inlined), and aya's linker takes the kfunc calls (src_reg 1, as clang emits
        // them) for BPF-to-BPF calls it cannot place.
        let key = obj
            .programs
            .get(PROGRAM)
            .map(|p| p.function_key())
            .ok_or("walk.bpf.o lacks its program")?;
        let mut insns = obj
            .functions
            .get(&key)
            .map(|f| f.instructions.clone())
            .ok_or("walk.bpf.o lacks its program's code")?;
        drop(obj);
        for (at, name) in kfunc_calls()? {
            let id = btf
                .id_by_type_name_kind(&name, BtfKind::Func)
                .map_err(|_| format!("the kernel has no kfunc {name} (needs 6.7 or later)"))?;
            let ins = insns
                .get_mut(at)
                .filter(|i| i.code == BPF_JMP_CALL)
                .ok_or_else(|| format!("walk.bpf.o: no kfunc call at instruction {at}"))?;
            // clang emits an extern call as a call to a BPF function (src_reg 1); the
            // kernel wants it marked as a kfunc call with the kfunc's id in vmlinux (off 0).
            ins.set_src_reg(BPF_PSEUDO_KFUNC_CALL);
            ins.imm = id as i32;
            ins.off = 0;
        }
        let recs_fd = records.fd.as_raw_fd();
        let recs_at = insns
            .iter()
            .enumerate()
            .filter(|(_, i)| i.code == 0x18 && i.src_reg() == 1 && i.imm == recs_fd)
            .map(|(at, _)| at)
            .collect();
        let program = Program { insns, recs_at };
        let prog = load_program(&program.insns)?;
        let mut walk = TaskWalk {
            program,
            prog,
            records,
            seen: 0,
            _state: state,
        };
        let mut probe = Vec::new();
        walk.read(&mut probe)?;
        if !probe.iter().any(|r| r.tid == std::process::id()) {
            return Err("the walk did not list threadtop itself".into());
        }
        Ok(walk)
    }

    /// What another process needs to run this walk (`events::handover`): the program, the
    /// records map and the state map, the records' room, and the relocated instructions
    /// with where they load the records map (to grow it there).
    pub fn parts(&self) -> ([BorrowedFd<'_>; 3], u32, Vec<u8>, &[usize]) {
        let code = self.program.insns.iter().flat_map(encode_insn).collect();
        (
            [
                self.prog.as_fd(),
                self.records.fd.as_fd(),
                self._state.as_fd(),
            ],
            self.records.capacity,
            code,
            &self.program.recs_at,
        )
    }

    /// The walk from what `parts` gave, descriptors received in the same order.
    pub fn from_parts(
        [prog, recs, state]: [OwnedFd; 3],
        capacity: u32,
        code: &[u8],
        recs_at: Vec<usize>,
    ) -> Result<TaskWalk, String> {
        if !code.len().is_multiple_of(8) || recs_at.iter().any(|&at| at >= code.len() / 8) {
            return Err("the walk's program came truncated".into());
        }
        let insns = code.chunks_exact(8).map(decode_insn).collect();
        Ok(TaskWalk {
            program: Program { insns, recs_at },
            prog,
            records: Records::of(recs, capacity),
            seen: 0,
            _state: state,
        })
    }

    /// Records the map holds now.
    pub fn capacity(&self) -> u32 {
        self.records.capacity
    }

    /// Bytes of the map threadtop has mapped (resident in its RSS).
    pub fn mapped_bytes(&self) -> usize {
        self.records.mapped()
    }

    /// One pass over every task, in the kernel's list order (processes by creation,
    /// each one's threads after it), into `out` (cleared first).
    pub fn read(&mut self, out: &mut Vec<TaskRec>) -> Result<(), String> {
        out.clear();
        TaskRec::parse_all(self.pass_records()?, out);
        Ok(())
    }

    /// One pass: its records, whole, where the kernel wrote them (the mapping). Read in
    /// place rather than copied out: at 10,000 tasks a parsed copy was 1.4 MB more at
    /// every tick's peak.
    pub fn pass_records(&mut self) -> Result<&[u8], String> {
        let mut seen = self.pass()?;
        if seen > self.records.capacity {
            // More tasks than room: a map twice the size, the program again, a new pass.
            self.grow(capacity_for(seen))?;
            seen = self.pass()?;
        }
        self.records.map(seen)?;
        self.seen = seen;
        Ok(self.records.bytes(seen as usize))
    }

    /// The last pass's records, mapped whole (empty before the first pass). Under &mut
    /// self: the slice must not outlive the mapping, which `record` moves.
    pub fn records(&mut self) -> &[u8] {
        if self.records.map(self.seen).is_err() {
            return &[];
        }
        self.records.bytes(self.seen as usize)
    }

    /// One pass, its records left unmapped: read them with `record` (a window at a time,
    /// so that they are never all resident at once). Returns how many there are.
    pub fn pass_windowed(&mut self) -> Result<usize, String> {
        self.records.unmap();
        let mut seen = self.pass()?;
        if seen > self.records.capacity {
            self.grow(capacity_for(seen))?;
            seen = self.pass()?;
        }
        self.seen = seen.min(self.records.capacity);
        Ok(self.seen as usize)
    }

    /// `f` of the last pass's record `i` (`None` past the last).
    pub fn with_record<R>(&self, i: usize, f: fn(&[u8]) -> Option<R>) -> Option<R> {
        self.records.with_record(i, self.seen as usize, f)
    }

    /// Unmaps the records until the next pass. Mapped between ticks, they were resident
    /// at every peak of the tick's other work (1.5 MiB at 10,000 threads: the event
    /// figures filled, the model built); a pass maps them again, the kernel filling
    /// every page table entry at once (about 370 pages at 10,000 threads).
    /// (`MADV_DONTNEED` would not do: the mapping has no fault handler to bring a page
    /// back, so a later read would be SIGBUS.)
    pub fn release(&mut self) {
        self.records.unmap();
    }

    /// Runs the program once; the tasks it saw (also those beyond the map's room).
    fn pass(&mut self) -> Result<u32, String> {
        let mut attr = TestRunAttr {
            prog_fd: self.prog.as_raw_fd() as u32,
            ..Default::default()
        };
        bpf(BPF_PROG_TEST_RUN, &mut attr).map_err(|e| format!("running the walk: {e}"))?;
        Ok(attr.retval)
    }

    fn grow(&mut self, capacity: u32) -> Result<(), String> {
        let records = Records::new(capacity)?;
        let fd = records.fd.as_raw_fd();
        for &at in &self.program.recs_at {
            self.program.insns[at].imm = fd;
        }
        self.prog = load_program(&self.program.insns)?;
        self.records = records;
        Ok(())
    }
}

/// An instruction as the kernel reads it: code, registers (dst low nibble), off, imm.
fn encode_insn(i: &bpf_insn) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0] = i.code;
    b[1] = (i.dst_reg() & 0xf) | (i.src_reg() << 4);
    b[2..4].copy_from_slice(&i.off.to_le_bytes());
    b[4..8].copy_from_slice(&i.imm.to_le_bytes());
    b
}

fn decode_insn(b: &[u8]) -> bpf_insn {
    bpf_insn {
        code: b[0],
        _bitfield_align_1: [],
        _bitfield_1: bpf_insn::new_bitfield_1(b[1] & 0xf, b[1] >> 4),
        off: i16::from_le_bytes([b[2], b[3]]),
        imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    }
}

/// Room for twice `tasks` (a machine's task count moves), at least MIN_CAPACITY.
pub fn capacity_for(tasks: u32) -> u32 {
    tasks
        .saturating_mul(2)
        .max(MIN_CAPACITY)
        .checked_next_power_of_two()
        .unwrap_or(u32::MAX / 2)
}

/// Each kfunc call of the program: its instruction index and the kfunc's name, from the
/// object's relocations (clang leaves the call's target to the loader).
fn kfunc_calls() -> Result<Vec<(usize, String)>, String> {
    let elf = object::File::parse(OBJECT).map_err(|e| format!("reading walk.bpf.o: {e}"))?;
    let section = elf
        .section_by_name(SECTION)
        .ok_or("walk.bpf.o lacks its program's section")?;
    let mut calls = Vec::new();
    for (offset, rel) in section.relocations() {
        let RelocationTarget::Symbol(index) = rel.target() else {
            continue;
        };
        let Ok(sym) = elf.symbol_by_index(index) else {
            continue;
        };
        if !sym.is_undefined() {
            continue;
        }
        let name = sym.name().map_err(|e| format!("walk.bpf.o: {e}"))?;
        calls.push((offset as usize / 8, name.to_string()));
    }
    Ok(calls)
}

fn load_program(insns: &[bpf_insn]) -> Result<OwnedFd, String> {
    let license = c"GPL";
    let mut attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_SYSCALL,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        prog_flags: BPF_F_SLEEPABLE,
        prog_name: name16(PROG_NAME),
        ..Default::default()
    };
    if let Ok(fd) = bpf(BPF_PROG_LOAD, &mut attr) {
        // SAFETY: BPF_PROG_LOAD returned a new descriptor that nothing else owns.
        return Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    }
    // Again with the verifier's log, to say why.
    let mut log = vec![0u8; 64 * 1024];
    attr.log_level = 1;
    attr.log_size = log.len() as u32;
    attr.log_buf = log.as_mut_ptr() as u64;
    let err = match bpf(BPF_PROG_LOAD, &mut attr) {
        // SAFETY: as above.
        Ok(fd) => return Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
        Err(e) => e,
    };
    let text = String::from_utf8_lossy(&log);
    let text = text.trim_end_matches('\0');
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!("loading the walk: {err}: {last}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instruction_survives_its_encoding() {
        let mut i = decode_insn(&[0x18, 0, 0, 0, 0, 0, 0, 0]);
        i.set_dst_reg(3);
        i.set_src_reg(BPF_PSEUDO_KFUNC_CALL);
        i.off = -7;
        i.imm = -123_456;
        let back = decode_insn(&encode_insn(&i));
        assert_eq!(
            (
                back.code,
                back.dst_reg(),
                back.src_reg(),
                back.off,
                back.imm
            ),
            (0x18, 3, BPF_PSEUDO_KFUNC_CALL, -7, -123_456)
        );
    }
}
