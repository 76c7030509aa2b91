//! `FileStore`: round trip, 0600, atomic replace, compare-and-swap between
//! two handles, typed errors without secrets, the update lock.

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{ACCESS, REFRESH, key, scratch, tokens};
use revault_auth_core::RefreshToken;
use revault_auth_store::{FileStore, StoreError, TokenStore};

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

#[test]
fn round_trip() {
    let (_dir, path) = scratch();
    let store = FileStore::new(&path);
    assert!(store.load(&key()).expect("load").is_none(), "nothing saved");

    let saved = tokens(ACCESS);
    let first = store.save(&key(), &saved, None).expect("first save");
    let loaded = store.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.version, first);
    assert_eq!(loaded.access_token.expose_secret(), ACCESS);
    assert_eq!(
        loaded
            .refresh_token
            .as_ref()
            .map(RefreshToken::expose_secret),
        Some(REFRESH)
    );
    assert_eq!(
        loaded.access_usable_until_unix_ms,
        saved.access_usable_until_unix_ms
    );
    assert_eq!(loaded.workspace, common::WORKSPACE);

    let second = store
        .save(&key(), &tokens("zz-second"), Some(first))
        .expect("second");
    assert_eq!(second, first + 1);
    let loaded = FileStore::new(&path)
        .load(&key())
        .expect("load")
        .expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), "zz-second");
}

#[cfg(unix)]
#[test]
fn mode_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = scratch();
    let store = FileStore::new(&path);
    let version = store.save(&key(), &tokens(ACCESS), None).expect("save");
    store
        .save(&key(), &tokens(ACCESS), Some(version))
        .expect("replace");
    drop(store.lock_for_update(&key(), soon()).expect("update lock"));
    for file in [
        path.clone(),
        common::sibling(&path, ".lock"),
        common::sibling(&path, ".update.lock"),
    ] {
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}: {mode:o}", file.display());
    }
}

#[test]
fn a_partial_temp_file_never_replaces_the_good_file() {
    let (dir, path) = scratch();
    let store = FileStore::new(&path);
    let version = store.save(&key(), &tokens(ACCESS), None).expect("save");
    // A writer crashed after writing half a temporary file, before the
    // rename: what it left behind is never read.
    let stray = dir.path().join(".revault-auth-crashed.tmp");
    std::fs::write(&stray, br#"{"store_format":2,"sessions":[{"api_u"#).expect("stray");

    let loaded = store.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), ACCESS);
    assert_eq!(loaded.version, version);
    let next = store
        .save(&key(), &tokens("zz-next"), Some(version))
        .expect("save");
    assert_eq!(next, version + 1);
    let text = std::fs::read_to_string(&path).expect("file");
    assert!(text.contains("zz-next"));
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
}

#[test]
fn two_handles_racing_the_same_version_one_wins_the_other_conflicts() {
    for _round in 0..20 {
        let (_dir, path) = scratch();
        let initial = FileStore::new(&path)
            .save(&key(), &tokens(ACCESS), None)
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
                    (name, store.save(&key(), &tokens(name), Some(initial)))
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
        assert_eq!(winners[0].1.as_ref().ok(), Some(&(initial + 1)));
        let loser = results
            .iter()
            .find(|(_, result)| result.is_err())
            .expect("a loser");
        match &loser.1 {
            Err(StoreError::Conflict { expected, found }) => {
                assert_eq!((*expected, *found), (Some(initial), Some(initial + 1)));
            }
            other => panic!("{other:?}"),
        }
        let stored = FileStore::new(&path)
            .load(&key())
            .expect("load")
            .expect("saved");
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
        b"{}",
        b"{\"store_format\":2}",
        b"{\"store_format\":2,\"sessions\":[{\"api_url\":1}]}",
        b"\xff\xfe\x00garbage",
        b"[1,2,3]",
    ] {
        std::fs::write(&path, garbage).expect("write");
        common::set_mode(&path, 0o600);
        let loaded = store.load(&key());
        assert!(
            matches!(loaded, Err(StoreError::Corrupt { .. })),
            "{:?}: {loaded:?}",
            String::from_utf8_lossy(garbage)
        );
    }
    std::fs::write(&path, br#"{"store_format":99,"anything":"else"}"#).expect("write");
    assert!(matches!(
        store.load(&key()),
        Err(StoreError::UnsupportedFormat(99))
    ));
    // Saving over unreadable data replaces it (it counts as absent).
    store.save(&key(), &tokens(ACCESS), None).expect("save");
    assert!(store.load(&key()).expect("load").is_some());
}

#[test]
fn a_format_1_file_without_an_api_url_is_unsupported_and_replaced() {
    let (_dir, path) = scratch();
    let mut legacy = serde_json::to_value(tokens(ACCESS)).expect("json");
    legacy["version"] = 3.into();
    std::fs::write(&path, legacy.to_string()).expect("write");
    common::set_mode(&path, 0o600);
    let store = FileStore::new(&path);
    assert!(matches!(
        store.load(&key()),
        Err(StoreError::UnsupportedFormat(1))
    ));
    store.save(&key(), &tokens("zz-new"), None).expect("save");
    let loaded = store.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), "zz-new");
}

#[test]
fn no_secret_in_store_error_display_or_debug() {
    let (dir, path) = scratch();
    let store = FileStore::new(&path);
    // serde_json quotes offending values in its messages: a token in the
    // wrong place must not reach ours.
    let bad = format!(
        r#"{{"store_format":2,"sessions":[{{"api_url":"{ACCESS}","workspace":7,"tokens":{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}"}}}}]}}"#
    );
    std::fs::write(&path, bad).expect("write");
    common::set_mode(&path, 0o600);
    let mut errors = vec![store.load(&key()).expect_err("corrupt")];
    std::fs::write(&path, format!(r#"{{"store_format":"{ACCESS}"}}"#)).expect("write");
    errors.push(store.load(&key()).expect_err("corrupt"));
    store.save(&key(), &tokens(ACCESS), None).expect("save");
    errors.push(
        store
            .save(&key(), &tokens(ACCESS), None)
            .expect_err("conflict"),
    );
    // A missing directory.
    let missing = FileStore::new(dir.path().join("absent").join("tokens.json"));
    errors.push(
        missing
            .save(&key(), &tokens(ACCESS), None)
            .expect_err("refused"),
    );

    for error in &errors {
        let shown = format!("{error} {error:?} {error:#?}");
        for secret in [ACCESS, REFRESH] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    assert!(
        matches!(errors[3], StoreError::Refused { .. }),
        "{:?}",
        errors[3]
    );
}

#[test]
fn the_update_lock_makes_a_second_handle_wait_and_allows_load_and_save() {
    let (_dir, path) = scratch();
    let first = FileStore::new(&path);
    let guard = first.lock_for_update(&key(), soon()).expect("update lock");
    // Loading and saving under it do not deadlock.
    assert!(first.load(&key()).expect("load").is_none());
    let version = first.save(&key(), &tokens(ACCESS), None).expect("save");

    let second = FileStore::new(&path);
    let waiter = std::thread::spawn(move || {
        let started = Instant::now();
        let _guard = second.lock_for_update(&key(), soon()).expect("update lock");
        let waited = started.elapsed();
        // Under the lock it finds what the first one saved.
        let loaded = second.load(&key()).expect("load").expect("saved");
        (waited, loaded.version)
    });
    std::thread::sleep(Duration::from_millis(300));
    drop(guard);
    let (waited, loaded) = waiter.join().expect("waiter");
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert_eq!(loaded, version);
}
