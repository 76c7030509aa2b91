//! [`TokenRef`]: the token every manager hands out.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::thread::LocalKey;

use revault_auth_core::AccessToken;

use crate::lend::{Lendable, Lent, Shelves};

thread_local! {
    static SHELVES: Shelves<AccessToken> = const { Shelves::new() };
}

impl Lendable for AccessToken {
    fn shelves() -> &'static LocalKey<Shelves<Self>> {
        &SHELVES
    }
}

/// A published token. Dereferences to [`AccessToken`].
///
/// Getting one took no lock and wrote no shared memory: each thread keeps
/// the token it last read and a stock of references to it, and a `TokenRef`
/// dropped on a thread that holds the same token goes back to that stock.
/// It may be held across an `.await`, for the length of an HTTP call, sent
/// to another thread or cloned; it stays valid memory after the token is
/// withdrawn (it is simply no longer served).
#[derive(Clone)]
pub struct TokenRef(Lent<AccessToken>);

impl TokenRef {
    /// Lends the token a publication `source` holds at `version`.
    #[inline]
    pub(crate) fn lend(
        source: u64,
        version: u64,
        load: impl FnOnce() -> Option<Arc<AccessToken>>,
    ) -> Option<Self> {
        Lent::lend(source, version, load).map(Self)
    }

    /// The token as an `Arc`.
    pub fn into_owned(self) -> Arc<AccessToken> {
        self.0.into_arc()
    }
}

impl Deref for TokenRef {
    type Target = AccessToken;

    #[inline]
    fn deref(&self) -> &AccessToken {
        &self.0
    }
}

impl fmt::Debug for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenRef").field(&**self).finish()
    }
}
