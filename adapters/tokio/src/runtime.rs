//! [`Tokio`]: the shared manager's runtime on tokio.

use std::future::Future;
use std::time::Instant;

use revault_auth_core::TokenError;
use revault_auth_shared::{Manager, NamedRuntime, Runtime};

use crate::TokenManager;

/// The manager's driver as a task on the tokio runtime current when it is
/// built, the token store's calls on tokio's blocking pool.
#[derive(Debug)]
pub struct Tokio;

impl NamedRuntime for Tokio {
    type Handle = TokenManager;
}

impl Runtime for Tokio {
    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Result<(), TokenError> {
        current()?.spawn(task);
        Ok(())
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send {
        tokio::time::sleep_until(deadline.into())
    }

    async fn unblock<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        tokio::task::spawn_blocking(work).await.ok()
    }
}

impl From<Manager<Tokio>> for TokenManager {
    fn from(manager: Manager<Tokio>) -> Self {
        Self(manager)
    }
}

/// The runtime the constructors run in.
pub(crate) fn current() -> Result<tokio::runtime::Handle, TokenError> {
    tokio::runtime::Handle::try_current().map_err(|_| TokenError::NoRuntime)
}
