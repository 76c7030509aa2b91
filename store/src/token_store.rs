//! The [`TokenStore`] trait and the [`UpdateGuard`] its update lock returns.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use revault_auth_core::SavedTokens;

use crate::{SessionKey, StoreError};

/// Somewhere sessions outlive the process, shared by every process that
/// uses the same store. See the crate docs for the protocol a driver
/// follows.
///
/// Every method is **blocking**: it may do file IO and wait for another
/// process (bounded: [`lock_for_update`](Self::lock_for_update) by its
/// deadline, the others by the store's own short lock wait). A blocking
/// driver calls them directly; an async driver calls them through its
/// runtime's blocking pool (`tokio::task::spawn_blocking`,
/// `blocking::unblock` for async-std and smol) with an `Arc` of the store,
/// and may hold the returned [`UpdateGuard`] across `.await`s (it is
/// `Send`, and dropping it does not block).
///
/// The trait is object safe: `Arc<dyn TokenStore>` works, and `Arc<S>`,
/// `Box<S>` and `&S` implement it when `S` does.
pub trait TokenStore: Send + Sync {
    /// The snapshot saved for `session`, `None` when there is none. Never
    /// returns a snapshot saved for another key.
    fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError>;

    /// Waits until `deadline` at the latest for the store's update lock,
    /// and takes it. Held (until the guard drops) from deciding that new
    /// tokens are needed until they are saved, it makes other processes
    /// wait, then find the new tokens and use them instead of spending the
    /// same refresh token. Load again once it is held. Gives up with
    /// [`StoreError::LockTimeout`] at the deadline. Loading and saving
    /// while holding it do not deadlock.
    fn lock_for_update(
        &self,
        session: &SessionKey,
        deadline: Instant,
    ) -> Result<UpdateGuard, StoreError>;

    /// Saves `tokens` for `session` if the session's stored version is
    /// still `expected_version` (`None`: nothing stored for it yet), and
    /// returns the new version; otherwise [`StoreError::Conflict`], and
    /// the caller loads and uses what is there. `tokens.version` is
    /// ignored. Refuses (as [`StoreError::Implausible`]) tokens whose
    /// workspace or API key id are not the session's. Versions grow and
    /// never repeat, even when the store is deleted and made again, so a
    /// stale expected version cannot match by chance, and a higher version
    /// is a newer session (the core's `restore` refuses a lower one).
    fn save(
        &self,
        session: &SessionKey,
        tokens: &SavedTokens,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError>;
}

/// Proof that this process holds a store's update lock; released on drop
/// (and by the OS when the process ends, however it ends).
pub struct UpdateGuard {
    _held: Box<dyn Send + Sync>,
}

impl UpdateGuard {
    /// Wraps whatever keeps a store's lock held until it is dropped (for
    /// stores other than this crate's).
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl fmt::Debug for UpdateGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UpdateGuard")
    }
}

macro_rules! forward {
    ($($wrapper:ty),*) => {$(
        impl<S: TokenStore + ?Sized> TokenStore for $wrapper {
            fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError> {
                (**self).load(session)
            }

            fn lock_for_update(
                &self,
                session: &SessionKey,
                deadline: Instant,
            ) -> Result<UpdateGuard, StoreError> {
                (**self).lock_for_update(session, deadline)
            }

            fn save(
                &self,
                session: &SessionKey,
                tokens: &SavedTokens,
                expected_version: Option<u64>,
            ) -> Result<u64, StoreError> {
                (**self).save(session, tokens, expected_version)
            }
        }
    )*};
}

forward!(Arc<S>, Box<S>, &S);
