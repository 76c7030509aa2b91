//! [`TokenReader`]: a per-thread view of a [`Publication`]'s token.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use arc_swap::cache::Cache;
use revault_auth_core::AccessToken;

use crate::publication::Publication;

/// The token slot of a shared publication, for [`Cache`].
#[derive(Clone)]
struct Slot(Arc<Publication>);

impl Deref for Slot {
    type Target = ArcSwapOption<AccessToken>;

    fn deref(&self) -> &Self::Target {
        self.0.slot()
    }
}

/// A per-thread (or per-task) view of the published token, from a
/// manager's `reader()`. It keeps its own reference to the token it last
/// saw and goes to the shared slot only when the token changed, so a read
/// is one atomic load and a comparison: no lock, no allocation, no write to
/// shared memory. A withdrawn token is seen as withdrawn on the next read;
/// until then the reader keeps that token's memory alive.
pub struct TokenReader {
    cache: Cache<Slot, Option<Arc<AccessToken>>>,
}

impl TokenReader {
    pub(crate) fn new(publication: Arc<Publication>) -> Self {
        Self {
            cache: Cache::new(Slot(publication)),
        }
    }

    /// The published token, if any (same rules as the manager's
    /// `try_token`).
    #[inline]
    pub fn try_token(&mut self) -> Option<&AccessToken> {
        self.cache.load().as_deref()
    }
}

impl fmt::Debug for TokenReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenReader").finish_non_exhaustive()
    }
}
