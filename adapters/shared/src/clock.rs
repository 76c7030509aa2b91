//! The wall clock drivers feed the core, replaceable so that tests can
//! simulate a suspend.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often a driver re-reads the wall clock while idle, and how long a
/// reader without a driver trusts the last reading: after a suspend the
/// token is withdrawn within this much running time.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// Where a manager reads the wall clock (by default [`SystemTime::now`]).
/// Managers compare it with the monotonic clock, which stops while the
/// machine sleeps, to notice a suspend.
#[derive(Clone)]
pub struct WallClock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl WallClock {
    /// A clock read through `read`.
    pub fn new(read: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(read))
    }

    /// The time now.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new(SystemTime::now)
    }
}

impl fmt::Debug for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WallClock").finish_non_exhaustive()
    }
}
