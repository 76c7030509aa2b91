//! Capped exponential backoff with seeded jitter.
//!
//! The n-th consecutive failure waits a delay drawn uniformly from
//! `[base, min(cap, base * 2^(n-1))]`: full jitter over the window, with the
//! base as a floor so an outage never turns into a tight loop. The bound on
//! the request rate during an outage is therefore one request per `base`,
//! and on average far fewer once the window has grown to the cap.

use std::time::Duration;

/// The most a wait the server or the slow schedule set (`Retry-After`, the
/// wait after a refusal) is stretched by, as a fraction of it: enough that
/// a fleet refused at one instant does not come back at one instant, and
/// never before the wait is over.
pub(crate) const WAIT_JITTER: f64 = 0.2;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    pub(crate) fn new(base: Duration, cap: Duration, seed: u64) -> Self {
        Self {
            base,
            cap,
            failures: 0,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Records one more failure and returns how long to wait.
    pub(crate) fn next_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.delay_after(self.failures)
    }

    /// The wait after the n-th consecutive failure of some kind, without
    /// recording anything (the jitter still draws from the seeded stream).
    pub(crate) fn delay_after(&mut self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        let ceiling = self
            .base
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.cap)
            .min(self.cap);
        let spread = ceiling.saturating_sub(self.base);
        self.base + spread.mul_f64(self.rng.f64())
    }

    /// Consecutive failures so far.
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// `wait` stretched by a seeded draw of up to [`WAIT_JITTER`] of it:
    /// never shorter than asked.
    pub(crate) fn stretched(&mut self, wait: Duration) -> Duration {
        wait.saturating_add(wait.mul_f64(WAIT_JITTER * self.rng.f64()))
    }

    /// A uniform draw in `[0, 1)` from the same seeded stream.
    pub(crate) fn unit(&mut self) -> f64 {
        self.rng.f64()
    }
}

/// The `n`-th wait (from 1) of a schedule that starts at `base` and doubles
/// up to `cap`, without jitter: the slow schedule after a refusal.
pub(crate) fn doubling(base: Duration, cap: Duration, n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(31);
    base.checked_mul(1u32 << doublings).unwrap_or(cap).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_within_the_window_and_stop_at_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(3);
        let mut backoff = Backoff::new(base, cap, 42);
        for failure in 1..=40u32 {
            let delay = backoff.next_delay();
            let ceiling = base
                .checked_mul(1 << (failure - 1).min(20))
                .map_or(cap, |d| d.min(cap));
            assert!(delay >= base && delay <= ceiling, "{failure}: {delay:?}");
        }
        assert_eq!(backoff.failures(), 40);
        backoff.reset();
        assert_eq!(backoff.next_delay(), base);
    }

    #[test]
    fn doubling_starts_at_base_and_stops_at_cap() {
        let (base, cap) = (Duration::from_secs(300), Duration::from_secs(3600));
        let waits: Vec<u64> = (0..=6).map(|n| doubling(base, cap, n).as_secs()).collect();
        assert_eq!(waits, [300, 300, 600, 1200, 2400, 3600, 3600]);
        assert_eq!(doubling(base, cap, u32::MAX), cap);
        assert_eq!(
            doubling(Duration::from_secs(1), Duration::MAX, 40),
            Duration::from_secs(1 << 31)
        );
    }

    #[test]
    fn same_seed_same_delays() {
        let make = || Backoff::new(Duration::from_millis(10), Duration::from_secs(9), 7);
        let (mut a, mut b) = (make(), make());
        for _ in 0..10 {
            assert_eq!(a.next_delay(), b.next_delay());
        }
    }
}
