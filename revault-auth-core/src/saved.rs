//! [`SavedTokens`]: a snapshot of the core's tokens that can outlive the
//! process, for token stores (see [`crate::AuthCore::export`] and
//! [`crate::AuthCore::restore`]).
//!
//! `Instant`s mean nothing in another process, so every deadline is stored
//! as wall-clock unix milliseconds, converted through one `(now, wall)` pair
//! read by the driver. The core reads no clock here either.

use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::{AccessTokenSecret, RefreshToken};

/// The only snapshot format this version writes and reads.
pub const SAVED_FORMAT: u32 = 1;

/// The tokens of one core, as a token store keeps them.
///
/// `Debug` shows no secret (the secret types redact themselves). The two
/// secrets are (de)serialized as plain strings through `expose_secret`: the
/// secret types themselves do not implement serde, so a secret cannot end
/// up in some other serialized structure by accident.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedTokens {
    /// [`SAVED_FORMAT`]; [`crate::AuthCore::restore`] refuses any other.
    pub format: u32,
    /// The store's version of this snapshot (compare-and-swap counter);
    /// stores set it when they save.
    pub version: u64,
    /// The workspace the tokens belong to.
    pub workspace: String,
    /// The API key id they were obtained with.
    pub api_key_id: String,
    /// The JWT.
    #[serde(with = "access_secret")]
    pub access_token: AccessTokenSecret,
    /// When revault-api stops accepting the access token.
    pub access_expires_at_unix_ms: u64,
    /// When the core stops handing it out (safety floor included).
    pub access_usable_until_unix_ms: u64,
    /// When the core wants to replace it.
    pub access_refresh_at_unix_ms: u64,
    /// The unspent refresh token, if the core holds one.
    #[serde(with = "refresh_secret", default)]
    pub refresh_token: Option<RefreshToken>,
    /// When the refresh token stops being worth sending.
    pub refresh_usable_until_unix_ms: u64,
    /// When the snapshot was taken ([`crate::AuthCore::export`]); 0 when
    /// unknown (snapshots written before this field existed).
    #[serde(default)]
    pub saved_at_unix_ms: u64,
}

impl SavedTokens {
    /// The access token may still be handed out at `wall`.
    pub fn access_usable_at(&self, wall: SystemTime) -> bool {
        unix_ms(wall) < self.access_usable_until_unix_ms
    }

    /// The refresh token may still be sent at `wall`.
    pub fn refresh_usable_at(&self, wall: SystemTime) -> bool {
        self.refresh_token.is_some() && unix_ms(wall) < self.refresh_usable_until_unix_ms
    }
}

/// Clock difference tolerated between the process that saved a snapshot
/// and the one restoring it, on top of the longest lifetime.
pub(crate) const RESTORE_CLOCK_SLACK: Duration = Duration::from_secs(60);

impl SavedTokens {
    /// Every deadline lies within what revault-api can issue from `wall`:
    /// `max_lifetime` (the longest lifetime a token response may carry)
    /// plus [`RESTORE_CLOCK_SLACK`]. A snapshot "usable for 300 days" was
    /// planted or corrupted, not saved from a real answer.
    pub(crate) fn within_lifetime(&self, wall: SystemTime, max_lifetime: Duration) -> bool {
        let bound = unix_ms(wall).saturating_add(
            u64::try_from((max_lifetime + RESTORE_CLOCK_SLACK).as_millis()).unwrap_or(u64::MAX),
        );
        [
            self.access_expires_at_unix_ms,
            self.access_usable_until_unix_ms,
            self.access_refresh_at_unix_ms,
            self.refresh_usable_until_unix_ms,
        ]
        .iter()
        .all(|deadline| *deadline <= bound)
    }
}

impl SavedTokens {
    /// Saved no later than `wall`, give or take [`RESTORE_CLOCK_SLACK`]. A
    /// snapshot from this host's future says its clock is behind (booted
    /// before NTP): deadlines read on it would outlive the tokens.
    pub(crate) fn saved_by(&self, wall: SystemTime) -> bool {
        self.saved_at_unix_ms <= unix_ms(wall).saturating_add(millis(RESTORE_CLOCK_SLACK))
    }
}

/// Milliseconds since the unix epoch (0 before it, saturating far after).
pub(crate) fn unix_ms(wall: SystemTime) -> u64 {
    wall.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// `at` on the wall clock, given that `now` reads `wall`.
pub(crate) fn to_unix_ms(at: Instant, now: Instant, wall: SystemTime) -> u64 {
    let base = unix_ms(wall);
    match at.checked_duration_since(now) {
        Some(ahead) => base.saturating_add(millis(ahead)),
        None => base.saturating_sub(millis(now.saturating_duration_since(at))),
    }
}

/// `unix_ms` on the monotonic clock, given that `now` reads `wall`. Times in
/// the past map to `now` at the latest (never later), which is what a
/// deadline that has passed needs.
pub(crate) fn from_unix_ms(unix: u64, now: Instant, wall: SystemTime) -> Instant {
    let base = unix_ms(wall);
    if unix >= base {
        now.checked_add(Duration::from_millis(unix - base))
            .unwrap_or(now)
    } else {
        now.checked_sub(Duration::from_millis(base - unix))
            .unwrap_or(now)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

mod access_secret {
    use super::{AccessTokenSecret, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        secret: &AccessTokenSecret,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose_secret())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<AccessTokenSecret, D::Error> {
        String::deserialize(deserializer).map(AccessTokenSecret::new)
    }
}

mod refresh_secret {
    use super::{Deserialize, Deserializer, RefreshToken, Serializer};

    pub(super) fn serialize<S: Serializer>(
        secret: &Option<RefreshToken>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match secret {
            Some(secret) => serializer.serialize_some(secret.expose_secret()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<RefreshToken>, D::Error> {
        Option::<String>::deserialize(deserializer).map(|secret| secret.map(RefreshToken::new))
    }
}
