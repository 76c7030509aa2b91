//! Helpers shared by the store's tests: a snapshot, a session key, a
//! private scratch directory, and another user's files.
#![allow(dead_code)]

#[path = "../support/snapshot.rs"]
mod snapshot;

use snapshot::unix_ms;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use revault_auth_core::SavedTokens;
use revault_auth_store::{Refusal, SessionKey, StoreError};

pub(crate) const ACCESS: &str = "zz-access-token-3f1c9a";
pub(crate) const REFRESH: &str = "zz-refresh-token-77d0e2";
pub(crate) const API_URL: &str = "http://127.0.0.1:9/v1/rest";
pub(crate) const WORKSPACE: &str = "store-test-workspace";
pub(crate) const API_KEY_ID: &str = "store-test-key";
/// `nobody` on most systems: the "other user" of these tests.
pub(crate) const OTHER_UID: u32 = 65534;

pub(crate) fn key() -> SessionKey {
    SessionKey::new(API_URL, WORKSPACE, API_KEY_ID)
}

/// A snapshot like the core exports for a 300 s token and a 1800 s
/// refresh token obtained now.
pub(crate) fn tokens(access: &str) -> SavedTokens {
    snapshot::tokens_for(WORKSPACE, API_KEY_ID, access, REFRESH)
}

/// `tokens` whose access token claims to be usable `ahead` from now.
pub(crate) fn tokens_usable_for(access: &str, ahead: Duration) -> SavedTokens {
    let mut tokens = tokens(access);
    let until = unix_ms(SystemTime::now() + ahead);
    tokens.access_expires_at_unix_ms = until;
    tokens.access_usable_until_unix_ms = until;
    tokens.access_refresh_at_unix_ms = until;
    tokens
}

/// A private (0700) temporary directory and a store path in it.
pub(crate) fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("tokens.json");
    (dir, path)
}

pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut sibling = path.as_os_str().to_owned();
    sibling.push(suffix);
    PathBuf::from(sibling)
}

/// This process's effective uid, read from a file it creates.
#[cfg(unix)]
pub(crate) fn my_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().expect("probe");
    probe.as_file().metadata().expect("metadata").uid()
}

/// Gives `path` to another user, as if that user had made it. Needs root:
/// returns `false` (and the caller skips that case, saying so) otherwise.
#[cfg(unix)]
pub(crate) fn give_to_another_user(path: &Path) -> bool {
    if my_uid() != 0 {
        eprintln!("not root: skipping the case of a file owned by another user");
        return false;
    }
    std::os::unix::fs::lchown(path, Some(OTHER_UID), Some(OTHER_UID)).expect("chown");
    true
}

/// chmod (a no-op where there are no unix modes).
pub(crate) fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Writes `bytes` to `path` as the store would: a private file.
pub(crate) fn write_private(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).expect("write");
    set_mode(path, 0o600);
}

/// `error` is the store refusing a file or directory for `expected`.
pub(crate) fn assert_refused(error: &StoreError, expected: &Refusal) {
    assert!(
        matches!(error, StoreError::Refused { refusal, .. } if refusal == expected),
        "{error:?}"
    );
}
