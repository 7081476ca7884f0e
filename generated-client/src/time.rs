//! Times as the service sends them, integer milliseconds, and back: the conversions behind
//! the generated `millis` types (durations and Unix timestamps), checked, never panicking.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole milliseconds of `duration`, saturating at `i64::MAX`.
pub fn duration_to_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The duration of `millis`; `None` when negative.
pub fn duration_from_millis(millis: i64) -> Option<Duration> {
    u64::try_from(millis).ok().map(Duration::from_millis)
}

/// Unix milliseconds of `time` (negative before 1970), saturating.
pub fn timestamp_to_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => duration_to_millis(after),
        // Through i128: `i64::MIN` milliseconds is one more than `i64::MAX` before the epoch.
        Err(before) => {
            let back = i128::try_from(before.duration().as_millis()).unwrap_or(i128::MAX);
            i64::try_from(-back).unwrap_or(i64::MIN)
        }
    }
}

/// The time `millis` after (or, negative, before) the Unix epoch; `None` when the platform's
/// `SystemTime` cannot hold it.
pub fn timestamp_from_millis(millis: i64) -> Option<SystemTime> {
    let offset = Duration::from_millis(millis.unsigned_abs());
    if millis >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_and_saturate() {
        assert_eq!(duration_to_millis(Duration::from_secs(600)), 600_000);
        assert_eq!(
            duration_from_millis(600_000),
            Some(Duration::from_secs(600))
        );
        assert_eq!(duration_from_millis(-1), None);
        assert_eq!(duration_to_millis(Duration::MAX), i64::MAX);
    }

    #[test]
    fn timestamps_round_trip_both_sides_of_the_epoch() {
        for millis in [0, 1_489_158_589_481, -5_000, 4_638_873_600_000] {
            let time = timestamp_from_millis(millis).expect("fits");
            assert_eq!(timestamp_to_millis(time), millis);
        }
    }

    #[test]
    fn extreme_timestamps_never_panic() {
        for millis in [i64::MIN, i64::MAX] {
            if let Some(time) = timestamp_from_millis(millis) {
                assert_eq!(timestamp_to_millis(time), millis);
            }
        }
    }
}
