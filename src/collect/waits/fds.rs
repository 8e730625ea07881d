//! What a descriptor is: its /proc link (`pipe:[123]`, `socket:[456]`, a path), and for a
//! TCP socket its state and ports from the task's own /proc/PID/net/tcp{,6} (its network
//! namespace's).

/// A TCP socket as /proc/net/tcp lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tcp {
    pub state: &'static str,
    pub local_port: u16,
    pub remote_port: u16,
}

/// The socket inode of a `socket:[456]` link.
pub fn socket_inode(link: &[u8]) -> Option<u64> {
    let inner = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(inner).ok()?.parse().ok()
}

/// include/net/tcp_states.h.
fn state_name(st: u8) -> &'static str {
    match st {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        _ => "?",
    }
}

/// The socket with `inode` in a /proc/net/tcp or tcp6 text, if listed. Lines that do not
/// parse are skipped (a table read while it changes can be cut mid-line).
pub fn find_tcp(table: &[u8], inode: u64) -> Option<Tcp> {
    let text = String::from_utf8_lossy(table);
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.len() < 10 || f[9].parse::<u64>().ok()? != inode {
            return None;
        }
        let port = |a: &str| u16::from_str_radix(a.rsplit_once(':')?.1, 16).ok();
        Some(Tcp {
            state: state_name(u8::from_str_radix(f[3], 16).ok()?),
            local_port: port(f[1])?,
            remote_port: port(f[2])?,
        })
    })
}

impl std::fmt::Display for Tcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.state == "LISTEN" {
            write!(f, "TCP LISTEN on port {}", self.local_port)
        } else {
            write!(
                f,
                "TCP {} port {} -> {}",
                self.state, self.local_port, self.remote_port
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &[u8] = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1
   2: garbage
   3: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:000";

    #[test]
    fn sockets_are_found_by_inode() {
        let l = find_tcp(TCP, 4242);
        assert_eq!(
            l,
            Some(Tcp {
                state: "LISTEN",
                local_port: 8080,
                remote_port: 0
            })
        );
        assert_eq!(
            l.map(|t| t.to_string()).as_deref(),
            Some("TCP LISTEN on port 8080")
        );
        let e = find_tcp(TCP, 4343).map(|t| t.to_string());
        assert_eq!(e.as_deref(), Some("TCP ESTABLISHED port 41394 -> 8080"));
        assert_eq!(find_tcp(TCP, 1), None);
        assert_eq!(find_tcp(b"", 4242), None);
    }

    #[test]
    fn socket_links_name_their_inode() {
        assert_eq!(socket_inode(b"socket:[456]"), Some(456));
        assert_eq!(socket_inode(b"pipe:[456]"), None);
        assert_eq!(socket_inode(b"socket:[x]"), None);
        assert_eq!(socket_inode(b"socket:[456"), None);
    }
}
