//! Statistics over runs, pure: the one place percentiles are computed, for
//! alert rules now (how long a run may take) and the statistics page later.

/// The `p` quantile (0.0 to 1.0) of `values` by nearest rank, or `None`
/// when there are none. `values` need not be sorted.
pub fn percentile(values: &[i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = (p.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

/// Runs of an operation needed before its p95 says how long one may take.
pub const MIN_RUNS_FOR_P95: usize = 20;

/// How long a run may take (ms) before it is "taking too long": twice the
/// p95 of the last runs of its operation, never less than `floor`; just
/// `floor` while fewer than [`MIN_RUNS_FOR_P95`] runs are known.
pub fn run_time_limit(durations: &[i64], floor: i64) -> i64 {
    if durations.len() < MIN_RUNS_FOR_P95 {
        return floor;
    }
    percentile(durations, 0.95)
        .map(|p95| (p95.saturating_mul(2)).max(floor))
        .unwrap_or(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank_match_hand_computed_values() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&v, 1.0), Some(100));
        assert_eq!(percentile(&[7, 3, 5], 0.5), Some(5), "unsorted input");
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[42], 0.0), Some(42));
    }

    #[test]
    fn run_limits_follow_the_p95_with_a_floor() {
        let few = vec![60_000; 19];
        assert_eq!(
            run_time_limit(&few, 1_800_000),
            1_800_000,
            "too few runs: the floor"
        );
        let slow: Vec<i64> = (1..=100).map(|m| m * 60_000).collect();
        assert_eq!(run_time_limit(&slow, 1_800_000), 2 * 95 * 60_000);
        let quick = vec![60_000; 50];
        assert_eq!(
            run_time_limit(&quick, 1_800_000),
            1_800_000,
            "never under the floor"
        );
    }
}
