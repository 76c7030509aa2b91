//! The core's one time base: the driver's monotonic clock, as the driver
//! reads it.
//!
//! Every `Instant` the core receives or hands out (`usable_until`,
//! `refresh_at`, `expires_at`, `poll_timeout`, ...) is on the driver's clock,
//! so a reader can compare them with its own `Instant::now()` directly.
//! `Instant` is monotonic: a `now` older than one already seen is a stale
//! reading (the driver read it before waiting for a lock, an event hook ran
//! in between), never a clock step, so it is clamped to the newest reading
//! and nothing is accumulated from it.
//!
//! The wall clock only serves to notice that the machine slept: a monotonic
//! clock stops during a suspend while the wall clock goes on. The core keeps
//! one `(now, wall)` pair as an anchor and measures how far the wall clock
//! has run ahead of the monotonic one since; small gaps add up until they
//! pass the tolerance, so many short suspends are not lost one by one. A
//! wall clock that falls behind (stepped back by NTP or an operator) is not
//! a sleep: the anchor moves to the new reading.

use std::time::{Duration, Instant, SystemTime};

/// The newest driver instant seen, and the wall-clock anchor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimeBase {
    newest: Instant,
    /// The pair short suspends are measured against.
    anchor: Option<(Instant, SystemTime)>,
    /// The latest pair, to turn an HTTP date into a delay.
    latest_wall: Option<(Instant, SystemTime)>,
}

impl TimeBase {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            newest: now,
            anchor: None,
            latest_wall: None,
        }
    }

    /// Records a reading and returns the instant to act at: `now`, or the
    /// newest reading seen when `now` is stale.
    pub(crate) fn observe(&mut self, now: Instant) -> Instant {
        self.newest = self.newest.max(now);
        self.newest
    }

    /// The instant to act at for `now`, without recording it.
    pub(crate) fn at(&self, now: Instant) -> Instant {
        self.newest.max(now)
    }

    /// Records a `(now, wall)` pair read together; returns how long the
    /// machine slept since the anchor when that passes `tolerance`. A stale
    /// pair (its `now` older than the newest) says nothing about sleep.
    pub(crate) fn wall_clock(
        &mut self,
        now: Instant,
        wall: SystemTime,
        tolerance: Duration,
    ) -> Option<Duration> {
        if now < self.newest {
            return None;
        }
        self.newest = now;
        self.latest_wall = Some((now, wall));
        let Some((then, wall_then)) = self.anchor else {
            self.anchor = Some((now, wall));
            return None;
        };
        let monotonic = now.saturating_duration_since(then);
        let ahead = wall
            .duration_since(wall_then)
            .ok()
            .and_then(|walled| walled.checked_sub(monotonic));
        match ahead {
            Some(slept) if slept <= tolerance => None,
            Some(slept) => {
                self.anchor = Some((now, wall));
                Some(slept)
            }
            None => {
                // The wall clock fell behind: a step, not a sleep.
                self.anchor = Some((now, wall));
                None
            }
        }
    }

    /// The wall time at `now`, from the latest pair, if any was given.
    pub(crate) fn wall_at(&self, now: Instant) -> Option<SystemTime> {
        let (then, wall_then) = self.latest_wall?;
        wall_then.checked_add(now.saturating_duration_since(then))
    }
}
