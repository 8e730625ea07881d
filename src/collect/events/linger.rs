//! Quitting without waiting for the kernel to detach the scheduling events.
//!
//! Releasing a tracepoint's BPF link waits for an RCU grace period
//! (`tracepoint_probe_unregister` → `synchronize_rcu`), one per link, and the last
//! reference to each goes when the process exits: the shell's prompt waited for all of
//! them. Measured here: 0.03 s and 1.1 s for a quit under load 25, and seconds to minutes
//! while the kernel starved its grace-period thread (see README "Scheduling events").
//!
//! So after a quit (terminal already restored), [`hand_over`] forks a child that holds
//! copies of every descriptor, the links among them: threadtop exits at once (its
//! references are not the last), and the child waits for it to be gone (a pidfd), then
//! exits, and its exit releases the links, in the background, in a process nobody waits
//! for. The child calls only async-signal-safe functions (the parent has other threads):
//! no allocation, no lock. It leaves the terminal (stdio closed, a session of its own),
//! so an SSH session or tmux pane closes without it.
//!
//! For this to work the collector must not drop the event source first when it ends:
//! once [`arm`]ed, a `Feed` that is on is forgotten instead of dropped (the process is
//! ending: its descriptors are closed by the exit, in the child or here).

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};

static ARMED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicBool = AtomicBool::new(false);

/// Tests: the child also waits for this file to exist before it exits, so a test can
/// see it holding the links after threadtop has gone.
pub const TEST_HOLD_ENV: &str = "THREADTOP_TEST_RELEASE_HOLD";

/// The name the child goes by (`comm`).
pub const CHILD_NAME: &str = "tt-bpf-release";

/// The display is running: the event source is kept to the end (see the module).
pub fn arm() {
    ARMED.store(true, Ordering::SeqCst);
}

pub(crate) fn armed() -> bool {
    ARMED.load(Ordering::SeqCst)
}

/// An event source with links is on in this process.
pub(crate) fn set_live() {
    LIVE.store(true, Ordering::SeqCst);
}

/// Forks the child that releases the links after this process has exited; true when it
/// did. Nothing is done unless [`arm`]ed with an event source on. Call last, once the
/// terminal is restored: the child holds every descriptor this process has.
pub fn hand_over() -> bool {
    if !ARMED.load(Ordering::SeqCst) || !LIVE.load(Ordering::SeqCst) {
        return false;
    }
    // Everything the child needs, made before the fork: it may not allocate.
    let hold = std::env::var_os(TEST_HOLD_ENV)
        .and_then(|p| CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())).ok());
    let name = CString::new(CHILD_NAME).unwrap_or_default();
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the child runs only `child`, which calls async-signal-safe functions on
    // data prepared above, then `_exit`s: it never returns into Rust code that could
    // take a lock another thread of the parent held at the fork.
    match unsafe { libc::fork() } {
        0 => child(parent, &name, hold.as_deref()),
        -1 => false,
        _ => true,
    }
}

/// The forked child: leave the terminal, wait for the parent to be gone, exit.
fn child(parent: libc::pid_t, name: &std::ffi::CStr, hold: Option<&std::ffi::CStr>) -> ! {
    // SAFETY: async-signal-safe system calls on valid, NUL-terminated buffers and a
    // pollfd on the stack; `_exit` does not run the parent's atexit handlers.
    unsafe {
        libc::setsid();
        for fd in 0..3 {
            libc::close(fd);
        }
        libc::prctl(libc::PR_SET_NAME, name.as_ptr() as libc::c_ulong, 0, 0, 0);
        // A pidfd polls readable once the process has exited (its descriptors closed).
        // Without one (kernel before 5.3), exit at once: the parent then releases as
        // before, never worse.
        let pidfd = libc::syscall(libc::SYS_pidfd_open, parent, 0) as libc::c_int;
        if pidfd >= 0 {
            let mut p = libc::pollfd {
                fd: pidfd,
                events: libc::POLLIN,
                revents: 0,
            };
            while libc::poll(&mut p, 1, -1) < 0 && *libc::__errno_location() == libc::EINTR {}
        }
        if let Some(path) = hold {
            let mut st: libc::stat = std::mem::zeroed();
            let nap = libc::timespec {
                tv_sec: 0,
                tv_nsec: 20_000_000,
            };
            while libc::stat(path.as_ptr(), &mut st) != 0 {
                libc::nanosleep(&nap, std::ptr::null_mut());
            }
        }
        libc::_exit(0)
    }
}
