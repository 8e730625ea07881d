//! The few bpf(2) commands threadtop issues itself (aya 0.14 has no call for them, or keeps
//! the descriptor they make private): running a program, batched map reads, attaching a
//! program by a link whose descriptor threadtop owns, and iterator files. Owning the
//! links' descriptors is what lets a short-lived child process load the programs and hand
//! them over (`events::handover`).

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

const BPF_RAW_TRACEPOINT_OPEN: libc::c_long = 17;
const BPF_LINK_CREATE: libc::c_long = 28;
const BPF_ITER_CREATE: libc::c_long = 33;
/// `enum bpf_attach_type`: BPF_TRACE_ITER.
const BPF_TRACE_ITER: u32 = 28;

/// The bpf(2) system call with the command's attribute struct.
pub(crate) fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> std::io::Result<libc::c_long> {
    // SAFETY: `attr` is a repr(C) prefix of the kernel's `union bpf_attr` for `cmd`, all
    // of it initialised; the kernel reads (and for some commands writes) at most
    // size_of::<T>() bytes of it, and any pointers in it are valid for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T as *mut libc::c_void,
            std::mem::size_of::<T>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A descriptor bpf(2) just returned.
fn owned(fd: libc::c_long) -> OwnedFd {
    // SAFETY: the command returned a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

#[repr(C)]
#[derive(Default)]
struct RawTracepointAttr {
    name: u64,
    prog_fd: u32,
    _pad: u32,
    cookie: u64,
}

/// Attaches a loaded `tp_btf` (BTF raw tracepoint) program, its tracepoint given by its
/// BTF at load; the program stays attached while the returned link is open.
pub fn attach_btf_tracepoint(prog: BorrowedFd<'_>) -> std::io::Result<OwnedFd> {
    let mut attr = RawTracepointAttr {
        prog_fd: prog.as_raw_fd() as u32,
        ..Default::default()
    };
    bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr).map(owned)
}

#[repr(C)]
#[derive(Default)]
struct LinkCreateAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    iter_info: u64,
    iter_info_len: u32,
    _pad: u32,
}

/// A link for a loaded `iter/...` program (no parameters: every task for `iter/task`),
/// from which `iter_file` makes a file to read a pass from.
pub fn iter_link(prog: BorrowedFd<'_>) -> std::io::Result<OwnedFd> {
    let mut attr = LinkCreateAttr {
        prog_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_TRACE_ITER,
        ..Default::default()
    };
    bpf(BPF_LINK_CREATE, &mut attr).map(owned)
}

#[repr(C)]
#[derive(Default)]
struct IterCreateAttr {
    link_fd: u32,
    flags: u32,
}

/// A new pass of an iterator link: reading the file runs the program over every object.
pub fn iter_file(link: BorrowedFd<'_>) -> std::io::Result<std::fs::File> {
    let mut attr = IterCreateAttr {
        link_fd: link.as_raw_fd() as u32,
        flags: 0,
    };
    bpf(BPF_ITER_CREATE, &mut attr).map(|fd| std::fs::File::from(owned(fd)))
}
