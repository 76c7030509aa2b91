//! [`TokenRef`]: the token every manager hands out, with the header a
//! request needs.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use http::HeaderValue;
use revault_auth_core::AccessToken;

use crate::copies::{self, Copy};

/// A published token. Dereferences to [`AccessToken`]; its
/// [`header_value`](Self::header_value) is the `Authorization` value to
/// send with it.
///
/// It is a handle of this thread's copy of the published token (see the
/// crate docs): getting one and dropping it on the same thread writes no
/// atomic (the thread keeps the handle back for its next read), and
/// cloning one, or dropping it elsewhere, counts on a counter only this
/// thread's copy has; so its cost does not grow with the number of
/// threads reading.
/// It may be held across an `.await`, for the length of an HTTP call, sent
/// to another thread or cloned; it stays valid memory after the token is
/// withdrawn (it is simply no longer served).
pub struct TokenRef(
    /// `Some` until the drop gives the handle back to this thread.
    Option<Arc<Copy>>,
);

impl TokenRef {
    /// What the publication `source` serves at `version` (see
    /// [`copies::current`]).
    #[inline]
    pub(crate) fn current(
        source: u64,
        version: u64,
        load: impl FnOnce() -> Option<Arc<AccessToken>>,
    ) -> Option<Self> {
        copies::current(source, version, load).map(|copy| Self(Some(copy)))
    }

    #[inline]
    fn copy(&self) -> &Copy {
        match &self.0 {
            Some(copy) => copy,
            None => unreachable!("a TokenRef holds its copy until it is dropped"),
        }
    }

    /// `Bearer <jwt>`, ready for the `Authorization` header and marked
    /// sensitive. It is this thread's copy of the token's header value:
    /// cloning it for a request writes no memory other threads write, and
    /// its bytes are zeroized once the last clone is dropped. (It shadows
    /// [`AccessToken::header_value`], whose clones all share one counter.)
    #[inline]
    pub fn header_value(&self) -> &HeaderValue {
        self.copy().header()
    }

    /// The published token as an `Arc`: one count on the count every
    /// thread shares, for keeping the token beyond a call.
    pub fn into_owned(self) -> Arc<AccessToken> {
        Arc::clone(self.copy().token())
    }
}

impl Clone for TokenRef {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl Drop for TokenRef {
    /// Gives the handle back to this thread for its next read, which then
    /// takes no new count.
    #[inline]
    fn drop(&mut self) {
        if let Some(copy) = self.0.take() {
            copies::give_back(copy);
        }
    }
}

impl Deref for TokenRef {
    type Target = AccessToken;

    #[inline]
    fn deref(&self) -> &AccessToken {
        self.copy().token()
    }
}

impl fmt::Debug for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenRef").field(&**self).finish()
    }
}
