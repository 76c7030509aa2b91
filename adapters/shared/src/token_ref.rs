//! [`TokenRef`]: the token every manager hands out.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use arc_swap::Guard;
use revault_auth_core::AccessToken;

/// A published token (an `arc_swap` guard: getting one took no lock and
/// touched no shared counter). Dereferences to [`AccessToken`].
///
/// It may be held across an `.await`, for the length of an HTTP call: each
/// thread has a few fast slots, and a guard held past them costs one
/// reference-count increment instead, so holding is always correct and at
/// worst as cheap as [`into_owned`](Self::into_owned). A token held this
/// way stays valid memory after it is withdrawn; it is simply no longer
/// served.
pub struct TokenRef(Guard<Option<Arc<AccessToken>>>);

impl TokenRef {
    /// Wraps a loaded guard; `None` when the slot was empty.
    pub(crate) fn new(guard: Guard<Option<Arc<AccessToken>>>) -> Option<Self> {
        guard.is_some().then_some(Self(guard))
    }

    /// The token as an `Arc` (at most one reference-count increment).
    pub fn into_owned(self) -> Arc<AccessToken> {
        match Guard::into_inner(self.0) {
            Some(token) => token,
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl Deref for TokenRef {
    type Target = AccessToken;

    #[inline]
    fn deref(&self) -> &AccessToken {
        match self.0.as_deref() {
            Some(token) => token,
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl fmt::Debug for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenRef").field(&**self).finish()
    }
}
