//! Times on the command line and in the replay's jump prompt: durations (`90s`, `1m30s`,
//! `2h`, `1.5`) and wall-clock times of day (`03:12:05`, local time).

use std::time::Duration;

/// `10`, `1.5s`, `1m30s`, `2h`, `1h2m3s`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let mut total = 0.0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        total += v * match c {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    // try_: a huge offset (`99999999999999999999h`) is no duration, not a panic.
    Duration::try_from_secs_f64(total).ok()
}

/// `HH:MM:SS` or `HH:MM` as seconds since midnight.
pub fn parse_time_of_day(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let n: Vec<u64> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, sec) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
    (h < 24 && m < 60 && sec < 60).then_some(h * 3600 + m * 60 + sec)
}

/// The local UTC offset in seconds, from the TZ database via `date`-like libc call.
pub fn local_offset_secs(unix_secs: i64) -> i64 {
    // SAFETY: localtime_r writes only into `tm`, which we own.
    unsafe {
        let t: libc::time_t = unix_secs as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff as i64
    }
}

/// `HH:MM:SS` local time of a wall-clock instant.
pub fn format_time_of_day(unix_ns: u64) -> String {
    let secs = (unix_ns / 1_000_000_000) as i64;
    let local = secs + local_offset_secs(secs);
    let day = local.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, day / 60 % 60, day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("1m3"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_time_of_day("03:12:05"), Some(3 * 3600 + 12 * 60 + 5));
        assert_eq!(parse_time_of_day("23:59"), Some(23 * 3600 + 59 * 60));
        assert_eq!(parse_time_of_day("24:00"), None);
        assert_eq!(parse_time_of_day("1m"), None);
    }
}
