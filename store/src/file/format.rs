//! The file's layout: every session of the store, each under its key.
//!
//! ```json
//! {"store_format": 2, "sessions": [{"api_url": "...", "workspace": "...",
//!   "api_key_id": "...", "saved_at_unix_ms": 0, "tokens": { SavedTokens }}]}
//! ```
//!
//! Format 1 (this crate's first) was one bare `SavedTokens` with no API
//! URL: it cannot say which server its token came from, so it is read as
//! [`StoreError::UnsupportedFormat`] and replaced by the next save.

use std::time::{Duration, SystemTime};

use revault_auth_core::{SAVED_FORMAT, SavedTokens};
use serde::{Deserialize, Serialize};

use crate::{SessionKey, StoreError};

/// The only store layout this version writes and reads.
pub const STORE_FORMAT: u32 = 2;

/// How far a stored deadline may exceed the longest lifetime revault-api is
/// trusted to issue: clocks of processes on one host agree to well within.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

/// Sessions kept in one file; saving one more drops the one saved longest
/// ago.
pub(crate) const MAX_SESSIONS: usize = 16;

#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Document {
    store_format: u32,
    sessions: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    api_url: String,
    workspace: String,
    api_key_id: String,
    saved_at_unix_ms: u64,
    tokens: SavedTokens,
}

impl Entry {
    fn is_for(&self, key: &SessionKey) -> bool {
        self.api_url == key.api_url()
            && self.workspace == key.workspace()
            && self.api_key_id == key.api_key_id()
    }
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    store_format: Option<u32>,
    /// Format 1 files are a bare snapshot, whose own field is `format`.
    #[serde(default)]
    format: Option<u32>,
}

impl Document {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, StoreError> {
        let header: Header = serde_json::from_slice(bytes).map_err(corrupt)?;
        match (header.store_format, header.format) {
            (Some(STORE_FORMAT), _) => serde_json::from_slice(bytes).map_err(corrupt),
            (Some(other), _) => Err(StoreError::UnsupportedFormat(other)),
            (None, Some(legacy)) => Err(StoreError::UnsupportedFormat(legacy)),
            (None, None) => Err(StoreError::Corrupt { line: 0, column: 0 }),
        }
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The session saved for `key`, checked for plausibility at `now`.
    pub(crate) fn session(
        &self,
        key: &SessionKey,
        now: SystemTime,
        max_lifetime: Duration,
    ) -> Result<Option<&SavedTokens>, StoreError> {
        let Some(entry) = self.sessions.iter().find(|entry| entry.is_for(key)) else {
            return Ok(None);
        };
        check_plausible(key, &entry.tokens, now, max_lifetime)?;
        Ok(Some(&entry.tokens))
    }

    /// Replaces `key`'s session with `tokens`, dropping the session saved
    /// longest ago when the file is full.
    pub(crate) fn put(&mut self, key: &SessionKey, tokens: SavedTokens, now: SystemTime) {
        self.store_format = STORE_FORMAT;
        self.sessions.retain(|entry| !entry.is_for(key));
        while self.sessions.len() >= MAX_SESSIONS && self.drop_oldest_except(key) {}
        self.sessions.push(Entry {
            api_url: key.api_url().to_owned(),
            workspace: key.workspace().to_owned(),
            api_key_id: key.api_key_id().to_owned(),
            saved_at_unix_ms: unix_ms(now),
            tokens,
        });
    }
}

impl Document {
    /// Drops the session saved longest ago, other than `key`'s; `false`
    /// when there is none.
    pub(crate) fn drop_oldest_except(&mut self, key: &SessionKey) -> bool {
        let oldest = self
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, entry)| !entry.is_for(key))
            .min_by_key(|(_, entry)| entry.saved_at_unix_ms)
            .map(|(index, _)| index);
        match oldest {
            Some(index) => {
                drop(self.sessions.remove(index));
                true
            }
            None => false,
        }
    }
}

/// A session is used only by its own account, and only with deadlines
/// revault-api could have set: a snapshot claiming a token usable for 300
/// days was not written by this crate from a real answer.
pub(crate) fn check_plausible(
    key: &SessionKey,
    tokens: &SavedTokens,
    now: SystemTime,
    max_lifetime: Duration,
) -> Result<(), StoreError> {
    if tokens.format != SAVED_FORMAT {
        return Err(StoreError::Implausible("unknown snapshot format"));
    }
    if !key.owns(tokens) {
        return Err(StoreError::Implausible(
            "its tokens belong to another workspace or API key",
        ));
    }
    let horizon = unix_ms(now).saturating_add(millis(max_lifetime.saturating_add(CLOCK_SLACK)));
    let deadlines = [
        tokens.access_expires_at_unix_ms,
        tokens.access_usable_until_unix_ms,
        tokens.access_refresh_at_unix_ms,
        tokens.refresh_usable_until_unix_ms,
    ];
    if deadlines.iter().any(|&deadline| deadline > horizon) {
        return Err(StoreError::Implausible(
            "its tokens live longer than revault-api issues them",
        ));
    }
    Ok(())
}

fn corrupt(error: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        line: error.line(),
        column: error.column(),
    }
}

fn unix_ms(wall: SystemTime) -> u64 {
    wall.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, millis)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
