//! What is saved loads back, and a save made on a stale version is
//! refused: checked against what the server holds.

mod common;

use common::{key, server_or_skip, tokens};
use redis::Commands;
use revault_auth_store_redis::{StoreError, TokenStore};

#[test]
fn a_saved_session_loads_back() {
    let server = server_or_skip!();
    let store = server.store();
    assert!(store.load(&key()).expect("load").is_none());

    let version = store.save(&key(), &tokens("zz-first"), None).expect("save");
    let loaded = store.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.version, version);
    assert_eq!(loaded.access_token.expose_secret(), "zz-first");
    assert_eq!(
        loaded.refresh_token.as_ref().map(|t| t.expose_secret()),
        Some(common::REFRESH)
    );

    // The server holds it under the session's key, with an expiry.
    let keys = store.keys(&key());
    let mut raw = server.raw();
    let stored: Vec<u8> = raw.get(&keys.session).expect("GET");
    assert!(String::from_utf8_lossy(&stored).contains("zz-first"));
    let ttl: i64 = raw.pttl(&keys.session).expect("PTTL");
    assert!(ttl > 0, "{ttl}");

    // Another store on the same server (another process) sees it.
    let other = server.store();
    assert_eq!(
        other.load(&key()).expect("load").map(|saved| saved.version),
        Some(version)
    );
}

#[test]
fn a_save_on_a_stale_version_is_a_conflict() {
    let server = server_or_skip!();
    let (first, second) = (server.store(), server.store());
    let v1 = first.save(&key(), &tokens("zz-one"), None).expect("save");
    let v2 = second
        .save(&key(), &tokens("zz-two"), Some(v1))
        .expect("save on the current version");
    assert!(v2 > v1);

    match first.save(&key(), &tokens("zz-stale"), Some(v1)) {
        Err(StoreError::Conflict { expected, found }) => {
            assert_eq!((expected, found), (Some(v1), Some(v2)));
        }
        other => panic!("{other:?}"),
    }
    match first.save(&key(), &tokens("zz-stale"), None) {
        Err(StoreError::Conflict { found, .. }) => assert_eq!(found, Some(v2)),
        other => panic!("{other:?}"),
    }
    // The server still holds the second save.
    let loaded = first.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), "zz-two");
}

#[test]
fn key_names_on_the_server_hold_no_identifier() {
    let server = server_or_skip!();
    let store = server.store();
    store.save(&key(), &tokens("zz-k"), None).expect("save");
    let _guard = store
        .lock_for_update(
            &key(),
            std::time::Instant::now() + std::time::Duration::from_secs(2),
        )
        .expect("lock");
    let names = server.all_keys();
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        assert!(name.starts_with("revault-auth:"), "{name}");
        for identifier in ["127.0.0.1", common::WORKSPACE, common::API_KEY_ID] {
            assert!(!name.contains(identifier), "{name}");
        }
    }
}

#[test]
fn stores_with_other_prefixes_share_nothing() {
    let server = server_or_skip!();
    let store = server.store();
    store.save(&key(), &tokens("zz-p"), None).expect("save");
    let other = server.store().with_prefix("other-app:");
    assert!(other.load(&key()).expect("load").is_none());
}
