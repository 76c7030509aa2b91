//! [`Runtime`]: the little an async manager needs from its executor. The
//! drive loop, the handle and the builder are written once over it; an
//! adapter supplies a runtime (and a transport), nothing else.

use std::future::Future;
use std::time::Instant;

use revault_auth_core::TokenError;

/// Spawning the driver, sleeping, and running blocking work (the token
/// store's calls) off the driver's loop.
pub trait Runtime: Send + Sync + Sized + 'static {
    /// Runs `task` (the driver) until it ends. Fails when there is nowhere
    /// to run it ([`TokenError::NoRuntime`] outside a runtime that must be
    /// current, [`TokenError::Closed`] when a thread cannot be started).
    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Result<(), TokenError>;

    /// Completes at `deadline`.
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send;

    /// Runs `work`, which may block, where it cannot hold the driver up.
    /// `None` when it could not run to its end (the runtime is shutting
    /// down, or `work` panicked).
    fn unblock<R: Send + 'static>(
        work: impl FnOnce() -> R + Send + 'static,
    ) -> impl Future<Output = Option<R>> + Send;
}
