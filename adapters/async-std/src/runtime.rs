//! [`AsyncIo`]: the shared manager's runtime for async-std, smol or any
//! other executor.

use std::future::Future;
use std::time::Instant;

use revault_auth_core::TokenError;
use revault_auth_shared::{Manager, NamedRuntime, Runtime};

use crate::TokenManager;

/// The manager's driver on a thread of its own (`revault-auth`, one per
/// manager) under [`async_io::block_on`], so it runs whatever executor
/// the application uses, or none; timers are [`async_io::Timer`]s, and
/// the token store's calls run on the [`blocking`] thread pool.
#[derive(Debug)]
pub struct AsyncIo;

impl NamedRuntime for AsyncIo {
    type Handle = TokenManager;
}

impl Runtime for AsyncIo {
    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Result<(), TokenError> {
        std::thread::Builder::new()
            .name("revault-auth".to_owned())
            .spawn(move || async_io::block_on(task))
            .map(drop)
            .map_err(|_| TokenError::Closed)
    }

    async fn sleep_until(deadline: Instant) {
        async_io::Timer::at(deadline).await;
    }

    async fn unblock<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        // A panic in `work` resumes here; the driver counts it as a job
        // that did not finish.
        let work = std::panic::AssertUnwindSafe(work);
        blocking::unblock(move || std::panic::catch_unwind(work).ok()).await
    }
}

impl From<Manager<AsyncIo>> for TokenManager {
    fn from(manager: Manager<AsyncIo>) -> Self {
        Self(manager)
    }
}
