//! Starting a tool (strace, lsof, gdb: the config's `[tools]`) in the foreground of this
//! terminal, as a shell starts a job: in a process group of its own that the terminal is
//! handed to, so Ctrl-C and Ctrl-\ reach the tool and not threadtop, and the terminal is
//! taken back once it ends. The caller hands the screen over before and takes it back
//! after (app/runner.rs); this module only runs the program and says how it ended.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};

/// The process group of the tool running now (0: none), for [`signal_running`].
static RUNNING: AtomicI32 = AtomicI32::new(0);

/// Passes `sig` on to the tool running now, if any (and continues it, were it stopped):
/// threadtop ending (SIGTERM, SIGHUP, a lost terminal) must not wait on a tool that
/// will never notice, such as strace on a terminal that hung up.
pub fn signal_running(sig: i32) {
    let pgrp = RUNNING.load(Ordering::SeqCst);
    if pgrp > 0 {
        // SAFETY: plain system calls on the tool's process group.
        unsafe {
            libc::killpg(pgrp, sig);
            libc::killpg(pgrp, libc::SIGCONT);
        }
    }
}

/// How a tool ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal ended it (Ctrl-C: SIGINT); `true`: it dumped core.
    Signalled(i32, bool),
}

impl Ended {
    /// "exit status 0", "ended by SIGINT", "ended by SIGSEGV (core dumped)".
    pub fn describe(self) -> String {
        match self {
            Ended::Exited(code) => format!("exit status {code}"),
            Ended::Signalled(sig, core) => format!(
                "ended by {}{}",
                signal_name(sig),
                if core { " (core dumped)" } else { "" }
            ),
        }
    }
}

/// `SIGINT`, or `signal 42` for one without a name here.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Whether `program` can be started: a name is looked for in `path` (PATH's value) as the
/// kernel's execvp would, a name with a `/` is taken as a path. An executable regular file
/// is what counts.
pub fn installed(program: &str, path: Option<&OsStr>) -> bool {
    let runnable = |p: &Path| {
        p.metadata().is_ok_and(|m| m.is_file())
            && rustix::fs::access(p, rustix::fs::Access::EXEC_OK).is_ok()
    };
    if program.contains('/') {
        return runnable(Path::new(program));
    }
    // PATH unset: execvp's default search path.
    let path = path.unwrap_or(OsStr::new("/usr/local/bin:/usr/bin:/bin"));
    std::env::split_paths(path)
        .filter(|d| !d.as_os_str().is_empty())
        .any(|d| runnable(&d.join(program)))
}

/// Runs `argv` (the program, then its arguments; no shell) in the foreground of the
/// terminal on stdin and waits for it to end. The terminal must already be back in its
/// normal mode. A Ctrl-Z in the tool stops threadtop too, as one job of the shell; `fg`
/// continues both.
pub fn run_foreground(argv: &[OsString]) -> io::Result<Ended> {
    let Some((program, args)) = argv.split_first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no program"));
    };
    let mut cmd = Command::new(program);
    cmd.args(args).process_group(0);
    // SAFETY: the closure runs in the child between fork and exec, and makes only
    // async-signal-safe calls (getpid, sigprocmask, tcsetpgrp) on its own stack.
    unsafe {
        cmd.pre_exec(|| {
            // In front before it runs, so its first read of the terminal is not stopped
            // by SIGTTIN (the parent handing the terminal over after fork would race it).
            give_terminal(libc::getpid(), false)
        });
    }
    // The modes the tool found, put back after it: one killed in the middle (gdb, a
    // pager) can leave echo off, which threadtop would otherwise keep as "the terminal's
    // own modes" and leave behind when it quits.
    let modes = rustix::termios::tcgetattr(rustix::stdio::stdin()).ok();
    let child = cmd.spawn()?;
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "child id out of range"))?;
    RUNNING.store(pid, Ordering::SeqCst);
    let ended = wait(pid);
    RUNNING.store(0, Ordering::SeqCst);
    // Ours again, whatever happened; the terminal may be gone (an SSH drop): the caller
    // finds out when it draws.
    // SAFETY: getpgrp cannot fail.
    let _ = give_terminal(unsafe { libc::getpgrp() }, true);
    if let Some(m) = modes {
        let _ = rustix::termios::tcsetattr(
            rustix::stdio::stdin(),
            rustix::termios::OptionalActions::Now,
            &m,
        );
    }
    ended
}

/// Waits for the tool's end. When it stops (Ctrl-Z), threadtop stops too, so the shell
/// shows one stopped job; once continued, the tool gets the terminal back and goes on.
fn wait(pid: libc::pid_t) -> io::Result<Ended> {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid place for waitpid to write to.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if libc::WIFSTOPPED(status) {
            // SAFETY: plain system calls on our own process and the tool's group.
            unsafe {
                let _ = give_terminal(libc::getpgrp(), true);
                // In an orphaned process group (no job-control shell) the kernel discards
                // this and the tool is simply continued.
                libc::kill(libc::getpid(), libc::SIGTSTP);
                let _ = give_terminal(pid, true);
                libc::killpg(pid, libc::SIGCONT);
            }
            continue;
        }
        if libc::WIFEXITED(status) {
            return Ok(Ended::Exited(libc::WEXITSTATUS(status)));
        }
        if libc::WIFSIGNALED(status) {
            return Ok(Ended::Signalled(
                libc::WTERMSIG(status),
                libc::WCOREDUMP(status),
            ));
        }
    }
}

/// Makes `pgrp` the terminal's foreground process group. A process outside the foreground
/// group may do that only with SIGTTOU blocked (else the kernel stops it); it is blocked
/// for the call and the mask put back. `threads`: the caller has other threads
/// (pthread_sigmask, this thread only); in a forked child sigprocmask is the safe call.
fn give_terminal(pgrp: libc::pid_t, threads: bool) -> io::Result<()> {
    // SAFETY: sigset_t is plain data; every pointer is to a local that lives for the call.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGTTOU);
        if threads {
            libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        } else {
            libc::sigprocmask(libc::SIG_BLOCK, &block, &mut old);
        }
        let r = libc::tcsetpgrp(libc::STDIN_FILENO, pgrp);
        let err = (r != 0).then(io::Error::last_os_error);
        if threads {
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        } else {
            libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Why a tool could not be started, in words for the footer.
pub fn start_error(name: &str, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!("{name} is not installed (not found on PATH)"),
        io::ErrorKind::PermissionDenied => format!("{name} could not be started: not executable"),
        _ => format!("{name} could not be started: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_are_said_in_words() {
        assert_eq!(Ended::Exited(0).describe(), "exit status 0");
        assert_eq!(Ended::Exited(3).describe(), "exit status 3");
        assert_eq!(
            Ended::Signalled(libc::SIGINT, false).describe(),
            "ended by SIGINT"
        );
        assert_eq!(
            Ended::Signalled(libc::SIGSEGV, true).describe(),
            "ended by SIGSEGV (core dumped)"
        );
        assert_eq!(signal_name(40), "signal 40");
    }

    #[test]
    fn installed_looks_on_the_path_given_for_an_executable_file() {
        let sh_dir = ["/bin", "/usr/bin"]
            .into_iter()
            .find(|d| Path::new(d).join("sh").exists())
            .expect("sh is somewhere");
        assert!(installed("sh", Some(OsStr::new(sh_dir))));
        assert!(!installed("sh", Some(OsStr::new("/nonexistent"))));
        assert!(!installed(
            "no-such-tool-threadtop",
            Some(OsStr::new(sh_dir))
        ));
        // A directory of that name is not a program.
        assert!(!installed("tmp", Some(OsStr::new("/"))));
        // With a slash: that file.
        assert!(installed(&format!("{sh_dir}/sh"), None));
        assert!(!installed("/etc/hostname-threadtop-none", None));
    }
}
