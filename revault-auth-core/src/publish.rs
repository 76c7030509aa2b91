//! What drivers hand to readers. Readers never touch the core (it sits
//! behind the driver's lock or task), so a published token carries the two
//! clock readings taken when it was published: with them a reader can tell,
//! on its own, that the machine slept since and the token may be stale.

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::secret::AccessToken;

/// How long the machine slept between two readings of both clocks: the
/// amount by which the wall clock ran ahead of the monotonic one, if more
/// than `tolerance`. A wall clock that stepped back is not a sleep.
pub fn slept_between(
    then: (Instant, SystemTime),
    now: (Instant, SystemTime),
    tolerance: Duration,
) -> Option<Duration> {
    let monotonic = now.0.saturating_duration_since(then.0);
    now.1
        .duration_since(then.1)
        .ok()
        .and_then(|wall| wall.checked_sub(monotonic))
        .filter(|slept| *slept > tolerance)
}

/// An access token as published to readers, with the clocks read when it
/// was published.
#[derive(Clone, Debug)]
pub struct PublishedToken {
    token: Arc<AccessToken>,
    at: (Instant, SystemTime),
}

impl PublishedToken {
    /// Stamps `token` with the driver's clocks.
    pub fn new(token: &AccessToken, now: Instant, wall: SystemTime) -> Self {
        Self {
            token: Arc::new(token.clone()),
            at: (now, wall),
        }
    }

    /// The token, shared: cloning it is one reference-count increment.
    pub fn token(&self) -> &Arc<AccessToken> {
        &self.token
    }

    /// The machine slept since publication (by more than `tolerance`): the
    /// deadlines, counted on a monotonic clock that stopped, may be stale.
    pub fn slept(&self, now: Instant, wall: SystemTime, tolerance: Duration) -> bool {
        slept_between(self.at, (now, wall), tolerance).is_some()
    }

    /// The token may be handed out: before its usable deadline, and no
    /// sleep since publication.
    pub fn usable(&self, now: Instant, wall: SystemTime, tolerance: Duration) -> bool {
        now < self.token.usable_until() && !self.slept(now, wall, tolerance)
    }
}

impl Deref for PublishedToken {
    type Target = AccessToken;

    fn deref(&self) -> &AccessToken {
        &self.token
    }
}
