//! The core's deadlines, as a tiny table. The table is derived from the
//! state on demand, so a deadline can never disagree with the state it
//! belongs to (the bug class of str0m #514).

use std::time::Instant;

/// One kind of deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The in-flight request has had its time.
    RequestTimeout,
    /// Backoff or `Retry-After` is over: a request may go out again.
    Retry,
    /// The access token is old enough to be refreshed.
    Refresh,
    /// The access token reaches its safety floor and stops being served.
    Expiry,
}

impl Timer {
    pub(crate) const ALL: [Timer; 4] = [
        Timer::RequestTimeout,
        Timer::Retry,
        Timer::Refresh,
        Timer::Expiry,
    ];
}

/// Deadlines indexed by [`Timer`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimerTable([Option<Instant>; 4]);

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, deadline: Option<Instant>) {
        self.0[timer as usize] = deadline;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer as usize]
    }

    /// The earliest deadline, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Timers whose deadline is at or before `now`.
    pub(crate) fn due(&self, now: Instant) -> impl Iterator<Item = Timer> + '_ {
        Timer::ALL
            .into_iter()
            .filter(move |timer| self.get(*timer).is_some_and(|at| at <= now))
    }
}
