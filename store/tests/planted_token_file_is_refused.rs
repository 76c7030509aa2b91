#![cfg(unix)]
//! A 0644 file written by another user, holding a forged token usable for
//! 300 days, must not be handed out. Files or directories not owned by the
//! user or open to group/others are refused with a clear error; stored
//! lifetimes are bounded by what the server can issue.
//!
//! "Another user" is simulated by chown to uid 65534, which needs root;
//! not as root, those cases are skipped (and say so on stderr).

mod common;

use std::time::Duration;

use common::{ACCESS, OTHER_UID, key, tokens, tokens_usable_for};
use revault_auth_store::{FileStore, Refusal, StoreError, TokenStore};

const FORGED: &str = "zz-forged-token-by-another-user";

/// What another user would plant: a well-formed store whose session is
/// usable for 300 days.
fn plant(path: &std::path::Path) {
    let (_scratch_dir, scratch) = common::scratch();
    FileStore::new(&scratch)
        .with_max_lifetime(Duration::from_secs(400 * 24 * 3600))
        .save(
            &key(),
            &tokens_usable_for(FORGED, Duration::from_secs(300 * 24 * 3600)),
            None,
        )
        .expect("forge");
    std::fs::copy(&scratch, path).expect("plant");
}

fn refusal(error: StoreError) -> Refusal {
    match error {
        StoreError::Refused { refusal, .. } => refusal,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_0644_file_of_another_user_with_a_300_day_token_is_refused() {
    let (_dir, path) = common::scratch();
    plant(&path);
    common::set_mode(&path, 0o644);
    if !common::give_to_another_user(&path) {
        return;
    }
    let store = FileStore::new(&path);
    let error = store.load(&key()).expect_err("refused");
    let shown = error.to_string();
    assert_eq!(
        refusal(error),
        Refusal::OtherOwner {
            owner: OTHER_UID,
            user: 0
        }
    );
    assert!(shown.contains("owned by another user"), "{shown}");
    assert!(!shown.contains(FORGED), "{shown}");
    // Not replaced either: it is not ours to replace.
    let error = store
        .save(&key(), &tokens(ACCESS), None)
        .expect_err("refused");
    assert!(matches!(refusal(error), Refusal::OtherOwner { .. }));
}

#[test]
fn a_file_of_ours_open_to_group_or_others_is_refused() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    store.save(&key(), &tokens(ACCESS), None).expect("save");
    for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
        common::set_mode(&path, mode);
        let error = store.load(&key()).expect_err("refused");
        assert!(error.to_string().contains("0600"), "{error}");
        assert_eq!(refusal(error), Refusal::OpenToOthers { mode });
    }
}

#[test]
fn a_private_file_of_ours_with_a_300_day_token_is_implausible_and_replaced() {
    let (_dir, path) = common::scratch();
    plant(&path);
    common::set_mode(&path, 0o600);
    let store = FileStore::new(&path);
    let error = store.load(&key()).expect_err("implausible");
    assert!(matches!(error, StoreError::Implausible(_)), "{error:?}");
    assert!(!error.to_string().contains(FORGED));
    // A save replaces it, as if absent.
    store.save(&key(), &tokens(ACCESS), None).expect("replace");
    let loaded = store.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), ACCESS);
    // Lifetimes up to the configured maximum are fine.
    let week = FileStore::new(&path).with_max_lifetime(Duration::from_secs(8 * 24 * 3600));
    let version = loaded.version;
    week.save(
        &key(),
        &tokens_usable_for(ACCESS, Duration::from_secs(7 * 24 * 3600)),
        Some(version),
    )
    .expect("save");
    assert!(week.load(&key()).expect("load").is_some());
}

#[test]
fn a_directory_open_to_others_or_owned_by_another_user_is_refused() {
    let dir = tempfile::tempdir().expect("directory");
    let path = dir.path().join("tokens.json");
    let store = FileStore::new(&path);
    for mode in [0o777, 0o1777, 0o775, 0o757] {
        common::set_mode(dir.path(), mode);
        let error = store
            .save(&key(), &tokens(ACCESS), None)
            .expect_err("refused");
        assert_eq!(refusal(error), Refusal::DirectoryOpenToOthers { mode });
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    common::set_mode(dir.path(), 0o755);
    store
        .save(&key(), &tokens(ACCESS), None)
        .expect("readable by others is fine");

    if !common::give_to_another_user(dir.path()) {
        return;
    }
    let error = store.load(&key()).expect_err("refused");
    assert_eq!(
        refusal(error),
        Refusal::DirectoryOtherOwner { owner: OTHER_UID }
    );
}

#[test]
fn a_lock_file_planted_by_another_user_is_refused() {
    let (_dir, path) = common::scratch();
    let lock = common::sibling(&path, ".update.lock");
    std::fs::write(&lock, b"").expect("plant");
    common::set_mode(&lock, 0o666);
    let store = FileStore::new(&path);
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let error = store
        .lock_for_update(&key(), deadline)
        .expect_err("refused");
    assert_eq!(refusal(error), Refusal::OpenToOthers { mode: 0o666 });
    common::set_mode(&lock, 0o600);
    if !common::give_to_another_user(&lock) {
        return;
    }
    let error = store
        .lock_for_update(&key(), deadline)
        .expect_err("refused");
    assert!(matches!(refusal(error), Refusal::OtherOwner { .. }));
}
