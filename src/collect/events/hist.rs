//! The run-queue latency histogram: which bucket a wait falls in (the same arithmetic as
//! `bucket_of` in sched.bpf.c) and percentiles read back from the counts.
//!
//! Four buckets per power of two keep a percentile within 25% of the true wait (at most
//! 1.25x the bucket's lower bound) with 100 u32 counters per task per tick half.

use super::layout::NBUCKETS;

/// The bucket a wait of `ns` lands in, as the BPF program computes it.
pub fn bucket_of(ns: u64) -> usize {
    let us = ns / 1000;
    if us == 0 {
        return 0;
    }
    let p = 63 - us.leading_zeros();
    let quarter = if p >= 2 {
        (us >> (p - 2)) & 3
    } else {
        (us << (2 - p)) & 3
    };
    let b = 1 + p as usize * 4 + quarter as usize;
    b.min(NBUCKETS - 1)
}

/// The exclusive upper bound of bucket `b`, in ns (`None` for the open-ended last one).
pub fn bucket_upper_ns(b: usize) -> Option<u64> {
    if b == 0 {
        return Some(1000);
    }
    if b >= NBUCKETS - 1 {
        return None;
    }
    let p = (b - 1) / 4;
    let quarter = ((b - 1) % 4) as u64;
    // 2^p µs * (4 + quarter + 1) / 4, rounded up to whole µs: the kernel side buckets
    // whole microseconds, so below 4 µs a bucket holds one value (1, 2 or 3 µs).
    Some(((1u64 << p) * (5 + quarter)).div_ceil(4) * 1000)
}

/// The `q` quantile (0 < q <= 1) of the waits counted in `hist`, as the upper bound of its
/// bucket and never above `max_ns` (the exact longest wait). `None` for no waits.
pub fn quantile_ns(hist: &[u32; NBUCKETS], q: f64, max_ns: u64) -> Option<u64> {
    let total: u64 = hist.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return None;
    }
    // The rank of the quantile, 1-based: the smallest wait with at least q of all at or below.
    let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0u64;
    for (b, &c) in hist.iter().enumerate() {
        seen += u64::from(c);
        if seen >= rank {
            return Some(bucket_upper_ns(b).map_or(max_ns, |u| u.min(max_ns)));
        }
    }
    Some(max_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wait_is_below_its_buckets_upper_bound_and_at_or_above_the_previous() {
        for ns in (0..2_000_000u64).step_by(997).chain([
            1_000,
            1_999,
            4_000,
            38_000_000,
            16_777_216_000,
            u64::MAX / 2,
        ]) {
            let b = bucket_of(ns);
            if let Some(up) = bucket_upper_ns(b) {
                assert!(ns < up, "{ns} ns in bucket {b} with upper {up}");
            } else {
                assert_eq!(b, NBUCKETS - 1);
            }
            if b > 0 {
                let low = bucket_upper_ns(b - 1).unwrap_or(0);
                assert!(
                    ns / 1000 * 1000 >= low,
                    "{ns} ns below bucket {b}'s lower {low}"
                );
            }
        }
    }

    #[test]
    fn buckets_are_a_quarter_of_a_power_of_two_wide() {
        // 38 ms = 38,000 µs: 2^15 = 32,768, quarter 0 (32,768..40,960 µs).
        assert_eq!(bucket_of(38_000_000), 1 + 15 * 4);
        assert_eq!(bucket_upper_ns(1 + 15 * 4), Some(40_960_000));
        assert_eq!(bucket_of(999), 0);
        assert_eq!(bucket_of(1_000), 1);
        assert_eq!(bucket_of(u64::MAX), NBUCKETS - 1);
    }

    #[test]
    fn quantiles_come_from_the_counts_and_never_exceed_the_max() {
        let mut h = [0u32; NBUCKETS];
        // 99 waits of ~10 µs and one of 38 ms.
        h[bucket_of(10_000)] = 99;
        h[bucket_of(38_000_000)] = 1;
        let p50 = quantile_ns(&h, 0.5, 38_000_000).unwrap_or(0);
        assert!((10_000..=12_500).contains(&p50), "{p50}");
        assert_eq!(quantile_ns(&h, 0.99, 38_000_000), Some(p50));
        assert_eq!(quantile_ns(&h, 1.0, 38_000_000), Some(38_000_000));
        assert_eq!(quantile_ns(&[0; NBUCKETS], 0.5, 0), None);
        // A max inside the bucket caps the bucket's bound.
        let mut one = [0u32; NBUCKETS];
        one[bucket_of(5_000)] = 1;
        assert_eq!(quantile_ns(&one, 0.99, 5_100), Some(5_100));
    }
}
