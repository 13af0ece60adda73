//! The one pause policy of the workspace's retry loops that wait longer
//! after each failure: a first pause, doubled each time up to a ceiling.
//! (Provider calls add jitter on top, in `dropledger-integrations`; a
//! command's version conflicts pause at random, in [`crate::EventStore::execute`].)

use std::time::Duration;

/// Pauses between attempts: `first`, doubling up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first pause.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Backoff {
    /// From milliseconds: `first_ms`, doubling up to `max_ms`.
    pub const fn from_millis(first_ms: u64, max_ms: u64) -> Backoff {
        Backoff {
            first: Duration::from_millis(first_ms),
            max: Duration::from_millis(max_ms),
        }
    }

    /// The pause after `pause`: twice as long, at most `max`.
    pub fn next(self, pause: Duration) -> Duration {
        pause.saturating_mul(2).min(self.max)
    }

    /// The pause before retry number `retry` (1-based): `first` doubled
    /// `retry - 1` times, at most `max`.
    pub fn nth(self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_from_the_first_up_to_the_ceiling() {
        let backoff = Backoff::from_millis(200, 5_000);
        let mut pause = backoff.first;
        let mut seen = vec![pause];
        for _ in 0..6 {
            pause = backoff.next(pause);
            seen.push(pause);
        }
        let millis: Vec<u128> = seen.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
        assert_eq!(backoff.nth(1), Duration::from_millis(200));
        assert_eq!(backoff.nth(4), Duration::from_millis(1_600));
        assert_eq!(backoff.nth(u32::MAX), Duration::from_millis(5_000));
    }
}
