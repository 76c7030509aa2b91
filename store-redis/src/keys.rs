//! The Redis key names of a session: the store's prefix and a hash of the
//! session key, so no API URL, workspace or key id shows in a key name
//! (`KEYS *`, `MONITOR`, slow logs, metrics).

use revault_auth_store::SessionKey;
use sha2::{Digest, Sha256};

/// The prefix used unless [`RedisStore::with_prefix`](crate::RedisStore::with_prefix)
/// sets another: give the service user an ACL on `~revault-auth:*`.
pub const DEFAULT_PREFIX: &str = "revault-auth:";

/// The two keys of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// Holds the session's snapshot.
    pub session: String,
    /// Holds the owner token of the session's update lock while it is held.
    pub lock: String,
}

impl SessionKeys {
    pub(crate) fn new(prefix: &str, key: &SessionKey) -> Self {
        let id = hash(key);
        Self {
            session: format!("{prefix}{id}:session"),
            lock: format!("{prefix}{id}:lock"),
        }
    }
}

/// SHA-256 of the three fields, each preceded by its length (so no two
/// distinct keys hash the same input), as 32 hex digits (128 bits).
fn hash(key: &SessionKey) -> String {
    let mut hasher = Sha256::new();
    for field in [key.api_url(), key.workspace(), key.api_key_id()] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_hold_no_identifier_and_differ_per_session() {
        let key = SessionKey::new("https://api.example/v1/rest", "acme-ws", "key-42");
        let keys = SessionKeys::new(DEFAULT_PREFIX, &key);
        for name in [&keys.session, &keys.lock] {
            assert!(name.starts_with(DEFAULT_PREFIX), "{name}");
            for identifier in ["api.example", "acme-ws", "key-42"] {
                assert!(!name.contains(identifier), "{name}");
            }
        }
        assert_ne!(keys.session, keys.lock);
        let other = SessionKeys::new(
            DEFAULT_PREFIX,
            &SessionKey::new("https://api.example/v1/rest", "acme-w", "skey-42"),
        );
        assert_ne!(keys, other);
        assert_eq!(
            keys,
            SessionKeys::new(
                DEFAULT_PREFIX,
                &SessionKey::new("HTTPS://API.example/v1/rest/", "acme-ws", "key-42")
            )
        );
    }
}
