//! What a process's code takes in memory, from its smaps.

/// Resident KiB of the read-and-execute mappings of process `pid`'s executable; `None`
/// once its files cannot be read (it ended).
pub fn code_rss_kib(pid: u32) -> Option<u64> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let exe = exe.to_string_lossy().into_owned();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
    let mut in_code = false;
    let mut total = 0;
    for line in smaps.lines() {
        let mut f = line.split_ascii_whitespace();
        match (f.next(), f.next()) {
            (Some(first), Some(perms)) if first.contains('-') && perms.len() == 4 => {
                in_code = perms == "r-xp" && line.trim_end().ends_with(exe.as_str());
            }
            (Some("Rss:"), Some(kib)) if in_code => total += kib.parse::<u64>().unwrap_or(0),
            _ => {}
        }
    }
    Some(total)
}
