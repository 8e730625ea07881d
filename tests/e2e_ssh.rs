//! threadtop over a real SSH session, as people run it on a server: a local sshd on a free
//! port, the OpenSSH client in a pseudo-terminal, threadtop in the session's terminal on
//! the other side. Keys cross sshd's packets (a burst arrives in pieces, not one write),
//! and a dropped connection reaches threadtop as sshd hanging its terminal up.
//!
//! Skipped, saying why, where OpenSSH's server or client is not installed or the test is
//! not root (sshd needs its privilege-separation directory and a user to log in as).
//! `.ci/run` installs openssh-server where it can.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{DEFAULT_TIMEOUT, Pty};

const WAIT: Duration = DEFAULT_TIMEOUT;

/// A private sshd, stopped when dropped.
struct Sshd {
    child: Child,
    port: u16,
    key: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn found(path: &str) -> bool {
    Path::new(path).exists()
}

/// Starts sshd on a free port of 127.0.0.1, accepting a fresh key for root; `None` (with
/// the reason printed) where that cannot be done here.
fn sshd() -> Option<Sshd> {
    let skip = |why: &str| {
        eprintln!("SKIPPED: {why}");
        None
    };
    if !found("/usr/sbin/sshd") || !found("/usr/bin/ssh") || !found("/usr/bin/ssh-keygen") {
        return skip("OpenSSH's sshd, ssh or ssh-keygen is not installed");
    }
    if !rustix::process::geteuid().is_root() {
        return skip("sshd needs root here");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| dir.path().join(name);
    for key in ["host", "client"] {
        let ok = Command::new("/usr/bin/ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(at(key))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return skip("ssh-keygen failed");
        }
    }
    std::fs::copy(at("client.pub"), at("authorized_keys")).expect("authorized_keys");
    // sshd refuses to start without its privilege-separation directory.
    let _ = std::fs::create_dir_all("/run/sshd");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
         PermitRootLogin prohibit-password\nPasswordAuthentication no\nStrictModes no\n\
         UsePAM no\nPidFile none\n",
        at("host").display(),
        at("authorized_keys").display(),
    );
    std::fs::write(at("sshd_config"), config).expect("sshd_config");
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(at("sshd_config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd");
    let mut d = Sshd {
        child,
        port,
        key: at("client"),
        _dir: dir,
    };
    // Listening once a connection is accepted (or it died: its configuration refused).
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = d.child.try_wait() {
            return skip(&format!("sshd did not start ({status})"));
        }
        assert!(start.elapsed() < WAIT, "sshd never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(d)
}

/// `ssh -t` to the private sshd, running threadtop with `args` in the session's terminal.
/// The remote threadtop reads no config file of the tester's (as `support::spawn`).
fn ssh_threadtop(d: &Sshd, args: &[&str]) -> Pty {
    let remote = format!(
        "env XDG_CONFIG_HOME={} TERM=xterm-256color {} {}",
        support::NO_CONFIG_DIR,
        support::threadtop().display(),
        args.join(" ")
    );
    let key = d.key.to_str().expect("a UTF-8 path");
    let port = d.port.to_string();
    Pty::spawn(
        "/usr/bin/ssh",
        &[
            "-t",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
            "-i",
            key,
            "-p",
            &port,
            "root@127.0.0.1",
            &remote,
        ],
        &[],
        120,
        30,
    )
    .expect("start ssh")
}

/// A `sleep`, killed when dropped: the one process the remote threadtop shows (`-p`).
struct Sleeper(Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The PIDs of threadtop processes whose command line holds `marker`.
fn threadtops_with(marker: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let args: Vec<&[u8]> = c.split(|&b| b == 0).collect();
                args.first().is_some_and(|a| a.ends_with(b"/threadtop"))
                    && args.contains(&marker.as_bytes())
            })
        })
        .collect()
}

#[test]
fn keys_over_ssh_are_all_handled_and_a_dropped_connection_ends_threadtop() {
    let Some(d) = sshd() else {
        return;
    };
    let sleeper = Sleeper(Command::new("sleep").arg("300").spawn().expect("sleep"));
    let pid = sleeper.0.id().to_string();
    let pty = ssh_threadtop(&d, &["--delay", "0.3", "--pid", &pid]);
    pty.wait_for_all(&["sort cpu", "sleep 300"], WAIT)
        .expect("threadtop on the far side, the sleep listed");
    // The one threadtop of this session (a BPF loading child is `/proc/self/exe`).
    let start = Instant::now();
    while threadtops_with(&pid).len() != 1 {
        assert!(
            start.elapsed() < WAIT,
            "not one threadtop with --pid {pid}: {:?}",
            threadtops_with(&pid)
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A paste: 3,000 characters and Enter, crossing sshd in several packets.
    pty.send(b"/");
    pty.wait_for_text("Filter: ", WAIT).expect("filter line");
    let mut burst = "zq".repeat(1500).into_bytes();
    burst.push(b'\r');
    pty.send(&burst);
    pty.wait_for(
        "the filter line closed, the sleep filtered out",
        WAIT,
        |s| s.contains("filter \"zqzq") && !s.contains("Filter: ") && !s.contains("sleep 300"),
    )
    .expect("every key of the paste handled");
    // Esc, then 200 arrows and F1 (escape sequences, split wherever the packets fall).
    pty.send(b"\x1b");
    pty.wait_for("the filter cleared", WAIT, |s| {
        s.contains("sleep 300") && !s.contains("filter \"zqzq")
    })
    .expect("Esc read as Esc");
    let mut keys = b"\x1b[B".repeat(200);
    keys.extend_from_slice(b"\x1bOP");
    pty.send(&keys);
    pty.wait_for_text("threadtop help", WAIT)
        .expect("F1 after the arrows: the help screen");

    // The connection drops (the client killed): sshd hangs the session's terminal up and
    // threadtop ends.
    pty.signal(rustix::process::Signal::KILL);
    let start = Instant::now();
    while !threadtops_with(&pid).is_empty() {
        assert!(
            start.elapsed() < WAIT,
            "threadtop still running after the connection dropped"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
