//! `FileStore`: round trip, 0600, atomic replace, compare-and-swap between
//! two handles, typed errors without secrets.

use std::path::PathBuf;
use std::sync::{Arc, Barrier};

use revault_auth_core::{AccessTokenSecret, RefreshToken, SAVED_FORMAT, SavedTokens};
use revault_auth_store::{FileStore, StoreError, TokenStore};

const ACCESS: &str = "zz-access-token-3f1c9a";
const REFRESH: &str = "zz-refresh-token-77d0e2";

fn tokens(access: &str) -> SavedTokens {
    SavedTokens {
        format: SAVED_FORMAT,
        version: 0,
        workspace: "store-test-workspace".to_owned(),
        api_key_id: "store-test-key".to_owned(),
        access_token: AccessTokenSecret::new(access),
        access_expires_at_unix_ms: 1_800_000_300_000,
        access_usable_until_unix_ms: 1_800_000_290_000,
        access_refresh_at_unix_ms: 1_800_000_230_000,
        refresh_token: Some(RefreshToken::new(REFRESH)),
        refresh_usable_until_unix_ms: 1_800_001_790_000,
    }
}

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("tokens.json");
    (dir, path)
}

#[test]
fn round_trip() {
    let (_dir, path) = scratch();
    let store = FileStore::new(&path);
    assert!(store.load().expect("load").is_none(), "nothing saved yet");

    let version = store.save(&tokens(ACCESS), None).expect("first save");
    assert_eq!(version, 1);
    let loaded = store.load().expect("load").expect("saved");
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.access_token.expose_secret(), ACCESS);
    assert_eq!(
        loaded
            .refresh_token
            .as_ref()
            .map(RefreshToken::expose_secret),
        Some(REFRESH)
    );
    assert_eq!(loaded.access_usable_until_unix_ms, 1_800_000_290_000);
    assert_eq!(loaded.workspace, "store-test-workspace");

    let version = store.save(&tokens("zz-second"), Some(1)).expect("second");
    assert_eq!(version, 2);
    let loaded = FileStore::new(&path).load().expect("load").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), "zz-second");
}

#[cfg(unix)]
#[test]
fn mode_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = scratch();
    let store = FileStore::new(&path);
    store.save(&tokens(ACCESS), None).expect("save");
    store.save(&tokens(ACCESS), Some(1)).expect("replace");
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[test]
fn a_partial_temp_file_never_replaces_the_good_file() {
    let (dir, path) = scratch();
    let store = FileStore::new(&path);
    store.save(&tokens(ACCESS), None).expect("save");
    // A writer crashed after writing half a temporary file, before the
    // rename: what it left behind is never read.
    let stray = dir.path().join(".revault-auth-crashed.tmp");
    std::fs::write(&stray, br#"{"format":1,"version":7,"access_tok"#).expect("stray");

    let loaded = store.load().expect("load").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), ACCESS);
    assert_eq!(loaded.version, 1);
    // And the next save still expects version 1, not the stray's.
    assert_eq!(store.save(&tokens("zz-next"), Some(1)).expect("save"), 2);
    let text = std::fs::read_to_string(&path).expect("file");
    assert!(text.contains("zz-next"));
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
}

#[test]
fn two_handles_racing_the_same_version_one_wins_the_other_conflicts() {
    for _round in 0..20 {
        let (_dir, path) = scratch();
        FileStore::new(&path)
            .save(&tokens(ACCESS), None)
            .expect("initial save");
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = ["zz-racer-a", "zz-racer-b"]
            .into_iter()
            .map(|name| {
                // Separate handles, separate lock file descriptors: as two
                // processes would have.
                let store = FileStore::new(&path);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    (name, store.save(&tokens(name), Some(1)))
                })
            })
            .collect();
        let results: Vec<_> = racers
            .into_iter()
            .map(|racer| racer.join().expect("racer"))
            .collect();
        let winners: Vec<_> = results
            .iter()
            .filter(|(_, result)| result.is_ok())
            .collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        assert_eq!(winners[0].1.as_ref().ok(), Some(&2));
        let loser = results
            .iter()
            .find(|(_, result)| result.is_err())
            .expect("a loser");
        assert!(
            matches!(
                loser.1,
                Err(StoreError::Conflict {
                    expected: Some(1),
                    found: Some(2)
                })
            ),
            "{results:?}"
        );
        let stored = FileStore::new(&path).load().expect("load").expect("saved");
        assert_eq!(stored.access_token.expose_secret(), winners[0].0);
    }
}

#[test]
fn a_corrupt_file_is_a_typed_error_not_a_panic() {
    let (_dir, path) = scratch();
    let store = FileStore::new(&path);
    for garbage in [
        &b"not json at all"[..],
        b"",
        b"{\"format\":1}",
        b"\xff\xfe\x00garbage",
        b"[1,2,3]",
    ] {
        std::fs::write(&path, garbage).expect("write");
        assert!(
            matches!(store.load(), Err(StoreError::Corrupt { .. })),
            "{:?}",
            store.load()
        );
    }
    std::fs::write(&path, br#"{"format":99,"anything":"else"}"#).expect("write");
    assert!(matches!(
        store.load(),
        Err(StoreError::UnsupportedFormat(99))
    ));
    // Saving over unreadable data replaces it (it counts as absent).
    assert_eq!(store.save(&tokens(ACCESS), None).expect("save"), 1);
    assert!(store.load().expect("load").is_some());
}

#[test]
fn no_secret_in_store_error_display_or_debug() {
    let (dir, path) = scratch();
    let store = FileStore::new(&path);
    // serde_json quotes offending values in its messages: a token in the
    // wrong place must not reach ours.
    let bad = format!(
        r#"{{"format":1,"version":"{ACCESS}","workspace":"w","api_key_id":"k","access_token":"{ACCESS}","refresh_token":"{REFRESH}"}}"#
    );
    std::fs::write(&path, bad).expect("write");
    let mut errors = vec![store.load().expect_err("corrupt")];
    std::fs::write(&path, format!(r#"{{"format":"{ACCESS}"}}"#)).expect("write");
    errors.push(store.load().expect_err("corrupt"));
    store.save(&tokens(ACCESS), None).expect("save");
    errors.push(store.save(&tokens(ACCESS), None).expect_err("conflict"));
    // An IO error: the store's directory does not exist.
    let missing = FileStore::new(dir.path().join("absent").join("tokens.json"));
    errors.push(missing.save(&tokens(ACCESS), None).expect_err("io"));

    for error in &errors {
        let shown = format!("{error} {error:?} {error:#?}");
        for secret in [ACCESS, REFRESH] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    assert!(
        matches!(errors[3], StoreError::Io { .. }),
        "{:?}",
        errors[3]
    );
}

#[test]
fn the_update_lock_makes_a_second_handle_wait_and_allows_load_and_save() {
    let (_dir, path) = scratch();
    let first = FileStore::new(&path);
    let guard = first.lock_for_update().expect("update lock");
    // Loading and saving under it do not deadlock.
    assert!(first.load().expect("load").is_none());
    assert_eq!(first.save(&tokens(ACCESS), None).expect("save"), 1);

    let second = FileStore::new(&path);
    let waiter = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let _guard = second.lock_for_update().expect("update lock");
        let waited = started.elapsed();
        // Under the lock it finds what the first one saved.
        let loaded = second.load().expect("load").expect("saved");
        (waited, loaded.version)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(guard);
    let (waited, version) = waiter.join().expect("waiter");
    assert!(
        waited >= std::time::Duration::from_millis(250),
        "{waited:?}"
    );
    assert_eq!(version, 1);
}
