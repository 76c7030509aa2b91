//! Whatever else sits under a session's key (garbage, another session, a
//! value of another type, a session with impossible deadlines) is never
//! used, is left alone by loads, and is replaced only by a save of a new
//! session (expected version `None`).

mod common;

use std::time::SystemTime;

use common::{key, server_or_skip, tokens};
use redis::Commands;
use revault_auth_store_redis::{SessionKey, StoreError, TokenStore};

fn plant(server: &common::RedisServer, name: &str, value: &[u8]) {
    let () = server.raw().set(name, value).expect("SET");
}

fn stored(server: &common::RedisServer, name: &str) -> Vec<u8> {
    server.raw().get(name).expect("GET")
}

/// Saves over what is planted only as a new session, and checks the
/// server then holds that session.
fn replaced_only_by_a_new_session(server: &common::RedisServer, planted_version: Option<u64>) {
    let store = server.store();
    let name = store.keys(&key()).session;
    match store.save(
        &key(),
        &tokens("zz-stale"),
        Some(planted_version.unwrap_or(7) + 1),
    ) {
        Err(StoreError::Conflict { found: None, .. }) => {}
        other => panic!("{other:?}"),
    }
    let version = store
        .save(&key(), &tokens("zz-newer"), None)
        .expect("a new session replaces it");
    let loaded = store.load(&key()).expect("load").expect("saved");
    assert_eq!(loaded.version, version);
    assert!(String::from_utf8_lossy(&stored(server, &name)).contains("zz-newer"));
}

#[test]
fn a_corrupt_value_is_refused_and_replaced_only_by_a_new_session() {
    let server = server_or_skip!();
    let store = server.store();
    let name = store.keys(&key()).session;
    plant(&server, &name, b"{\"store_format\": 2, \"sessions\": [tru");
    assert!(matches!(
        store.load(&key()),
        Err(StoreError::Corrupt { .. })
    ));
    assert_eq!(
        stored(&server, &name),
        b"{\"store_format\": 2, \"sessions\": [tru"
    );
    replaced_only_by_a_new_session(&server, None);
}

#[test]
fn another_sessions_value_is_absent_and_replaced_only_by_a_new_session() {
    let server = server_or_skip!();
    let store = server.store();
    let name = store.keys(&key()).session;
    let foreign_key = SessionKey::new("https://elsewhere.example/v1/rest", "other-ws", "other-key");
    let mut foreign = tokens("zz-foreign");
    foreign.workspace = "other-ws".to_owned();
    foreign.api_key_id = "other-key".to_owned();
    foreign.version = 99;
    let value = revault_auth_store::encode_session(&foreign_key, &foreign, SystemTime::now())
        .expect("encode");
    plant(&server, &name, &value);
    assert!(store.load(&key()).expect("load").is_none());
    assert_eq!(stored(&server, &name), value.as_slice());
    replaced_only_by_a_new_session(&server, Some(99));
}

#[test]
fn a_value_of_another_type_is_refused_and_replaced_only_by_a_new_session() {
    let server = server_or_skip!();
    let store = server.store();
    let name = store.keys(&key()).session;
    let () = server.raw().hset(&name, "field", "value").expect("HSET");
    assert!(matches!(
        store.load(&key()),
        Err(StoreError::Corrupt { .. })
    ));
    let kind: String = redis::cmd("TYPE")
        .arg(&name)
        .query(&mut server.raw())
        .expect("TYPE");
    assert_eq!(kind, "hash");
    replaced_only_by_a_new_session(&server, None);
}

#[test]
fn a_session_living_longer_than_the_api_issues_is_refused() {
    let server = server_or_skip!();
    let store = server.store();
    let name = store.keys(&key()).session;
    let mut forged = tokens("zz-forged");
    forged.access_expires_at_unix_ms += 300 * 24 * 3600 * 1000;
    forged.version = 5;
    let value =
        revault_auth_store::encode_session(&key(), &forged, SystemTime::now()).expect("encode");
    plant(&server, &name, &value);
    assert!(matches!(
        store.load(&key()),
        Err(StoreError::Implausible(_))
    ));
    replaced_only_by_a_new_session(&server, Some(5));
}
