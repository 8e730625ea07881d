//! Number and duration formats shared by the panes and the CLI.

use std::time::Duration;

/// `0.1s`, `1s`, `2.5s`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if (s - s.round()).abs() < 1e-9 {
        format!("{}s", s.round() as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// Bytes in binary units with one decimal: `512K`, `1.2G`.
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b}B")
    } else if v < 10.0 {
        format!("{v:.1}{}", UNITS[u])
    } else {
        format!("{v:.0}{}", UNITS[u])
    }
}

/// Bytes per second in at most 6 columns (`0`, `512K`, `1.2M`); `-` when unknown.
pub fn byte_rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(v) if v < 0.5 => "0".into(),
        Some(v) => bytes(v.round() as u64),
    }
}

/// `3d 04:05` or `04:05:06`.
pub fn uptime(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    let (d, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

/// A percentage in at most 5 columns; `-` when unknown.
pub fn percent(p: Option<f64>) -> String {
    match p {
        None => "-".into(),
        Some(v) if v >= 99.95 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// The value [`percent`] shows, as a number: rows are sorted by what they show, so two
/// rows that read the same keep their places (by TID) from tick to tick instead of
/// swapping on differences too small to see, which rewrote both rows on the terminal.
pub fn percent_shown(v: f64) -> f64 {
    if v >= 99.95 {
        v.round()
    } else {
        (v * 10.0).round() / 10.0
    }
}

/// A count in at most 4 columns (the THR column's width): `9999`, then `10k`, `999k`,
/// `1M`, rounded down. A right-aligned cell too narrow for its text is cut from the left,
/// which showed a process of 10,001 threads as `0001`.
pub fn count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1_000),
        1_000_000..=999_999_999 => format!("{}M", n / 1_000_000),
        _ => format!("{}G", (n / 1_000_000_000).min(999)),
    }
}

/// A rate in at most 6 columns: `0`, `12.5`, `1234`, `12k`.
pub fn rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(v) if v < 0.05 => "0".into(),
        Some(v) if v < 100.0 => format!("{v:.1}"),
        Some(v) if v < 100_000.0 => format!("{v:.0}"),
        Some(v) => format!("{:.0}k", v / 1000.0),
    }
}

/// The value [`rate`] shows, as a number (see [`percent_shown`]).
pub fn rate_shown(v: f64) -> f64 {
    if v < 0.05 {
        0.0
    } else if v < 100.0 {
        (v * 10.0).round() / 10.0
    } else if v < 100_000.0 {
        v.round()
    } else {
        (v / 1000.0).round() * 1000.0
    }
}

/// The value [`byte_rate`] shows, as a number of bytes (see [`percent_shown`]): one
/// decimal below 10 of a unit, none above, as [`bytes`] writes it.
pub fn byte_rate_shown(v: f64) -> f64 {
    if v < 0.5 {
        return 0.0;
    }
    let b = v.round();
    let mut unit = 1.0;
    while b / unit >= 1024.0 && unit < 1024f64.powi(5) {
        unit *= 1024.0;
    }
    let x = b / unit;
    if unit == 1.0 {
        b
    } else if x < 10.0 {
        (x * 10.0).round() / 10.0 * unit
    } else {
        x.round() * unit
    }
}

/// CPU time as htop's TIME+ shows it: `1:23.45` (minutes, seconds, hundredths) under an
/// hour, `2h03:04` under 100 hours, then `123h`; `-` when unknown.
pub fn cpu_time(hundredths: Option<u64>) -> String {
    let Some(cs) = hundredths else {
        return "-".into();
    };
    let secs = cs / 100;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h >= 100 {
        format!("{h}h")
    } else if h > 0 {
        format!("{h}h{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}.{:02}", cs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(Duration::from_millis(500)), "0.5s");
        assert_eq!(duration(Duration::from_secs(2)), "2s");
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(24 * 1024 * 1024 * 1024), "24G");
        assert_eq!(uptime(90061.0), "1d 01:01");
        assert_eq!(percent(None), "-");
        assert_eq!(percent(Some(100.0)), "100");
        assert_eq!(rate(Some(123456.0)), "123k");
        assert_eq!(cpu_time(None), "-");
        assert_eq!(cpu_time(Some(0)), "0:00.00");
        assert_eq!(cpu_time(Some(8345)), "1:23.45");
        assert_eq!(
            cpu_time(Some((2 * 3600 + 3 * 60 + 4) * 100 + 99)),
            "2h03:04"
        );
        assert_eq!(cpu_time(Some(123 * 3600 * 100)), "123h");
        assert_eq!(count(9_999), "9999");
        assert_eq!(count(10_001), "10k");
        assert_eq!(count(999_999), "999k");
        assert_eq!(count(4_194_304), "4M");
        assert!((0..64).all(|k| count(1u64 << k).chars().count() <= 4));
    }
}
