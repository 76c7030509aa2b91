//! The snapshot every store's tests save: what the core exports for a
//! 300 s token and a 1800 s refresh token obtained now. Shared by the file
//! store's and the Redis store's tests (included by path).

use std::time::SystemTime;

use revault_auth_core::{AccessTokenSecret, RefreshToken, SAVED_FORMAT, SavedTokens};

pub(crate) fn unix_ms(at: SystemTime) -> u64 {
    u64::try_from(
        at.duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits")
}

/// A snapshot for `workspace` and `api_key_id` holding `access` and
/// `refresh`, obtained now.
pub(crate) fn tokens_for(
    workspace: &str,
    api_key_id: &str,
    access: &str,
    refresh: &str,
) -> SavedTokens {
    let now = unix_ms(SystemTime::now());
    SavedTokens {
        format: SAVED_FORMAT,
        version: 0,
        workspace: workspace.to_owned(),
        api_key_id: api_key_id.to_owned(),
        access_token: AccessTokenSecret::new(access),
        access_expires_at_unix_ms: now + 300_000,
        access_usable_until_unix_ms: now + 290_000,
        access_refresh_at_unix_ms: now + 230_000,
        refresh_token: Some(RefreshToken::new(refresh)),
        refresh_usable_until_unix_ms: now + 1_790_000,
        saved_at_unix_ms: now,
    }
}
