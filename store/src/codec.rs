//! The file store's layout for a single session, for stores on other
//! engines that keep one value per session (a Redis key): the same checks
//! on the way in, so a value is trusted exactly as a file would be.

use std::time::{Duration, SystemTime};

use revault_auth_core::SavedTokens;
use zeroize::Zeroizing;

use crate::file::Document;
use crate::{SessionKey, StoreError};

/// `tokens` as a store document holding `session` alone (the layout of
/// [`STORE_FORMAT`](crate::STORE_FORMAT)), saved at `now`. The bytes hold
/// the tokens: they are wiped when dropped.
pub fn encode_session(
    session: &SessionKey,
    tokens: &SavedTokens,
    now: SystemTime,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut document = Document::default();
    document.put(session, tokens.clone(), now);
    document
        .encode()
        .map(Zeroizing::new)
        .map_err(|_| StoreError::Implausible("the tokens cannot be encoded"))
}

/// The session saved for `session` in a store document: `None` when the
/// document holds none for this key (a foreign value is absent, never
/// used), [`StoreError::Corrupt`] or [`StoreError::UnsupportedFormat`]
/// when it is not a document this version reads, and
/// [`StoreError::Implausible`] when the session's deadlines reach beyond
/// `max_lifetime` from `now` or its tokens name another account.
pub fn decode_session(
    bytes: &[u8],
    session: &SessionKey,
    now: SystemTime,
    max_lifetime: Duration,
) -> Result<Option<SavedTokens>, StoreError> {
    let document = Document::parse(bytes)?;
    Ok(document.session(session, now, max_lifetime)?.cloned())
}
