//! `update_api_key` with another key id: the manager's store link follows
//! the new key's session. A session of key B waits in the store (another
//! process saved it); a manager on key A rotates to B and serves B's
//! session, refreshes it and saves it there, and never touches A's again.
//!
//! Oracles: the emulator's log (which key each refresh token belongs to,
//! no login after the rotation) and the store's content.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{KEY_ID, SECRET, WORKSPACE, config, file_store, server, session_key};
use revault_auth::tokio::{FileStore, ReqwestTransport, SessionKey, TokenManager, TokenStore as _};
use revault_auth::{ApiKeySecret, SavedTokens};
use revault_auth_mock::{Endpoint, MockServer};

const KEY_B: &str = "e2e-key-b";

/// A session of key B, as another process would have saved it.
fn session_of_key_b(server: &MockServer) -> SavedTokens {
    let issued = server.issue_tokens(WORKSPACE, KEY_B).expect("tokens for B");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    let after = |secs: f64| now + (secs * 1000.0) as u64;
    serde_json::from_value(serde_json::json!({
        "format": revault_auth_core::SAVED_FORMAT,
        "version": 0,
        "workspace": WORKSPACE,
        "api_key_id": KEY_B,
        "access_token": issued.access_token,
        "access_expires_at_unix_ms": after(issued.expires_in_seconds),
        "access_usable_until_unix_ms": after(issued.expires_in_seconds * 0.9),
        "access_refresh_at_unix_ms": after(issued.expires_in_seconds * 0.75),
        "refresh_token": issued.refresh_token,
        "refresh_usable_until_unix_ms": after(issued.refresh_expires_in_seconds * 0.9),
        "saved_at_unix_ms": now,
    }))
    .expect("a snapshot")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_follows_update_api_key_to_the_new_keys_session() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let store = FileStore::new(&path);
    let transport = ReqwestTransport::new().expect("client");
    let manager = TokenManager::builder(config(&server), transport)
        .with_store(FileStore::new(&path))
        .build()
        .expect("manager");
    manager.token().await.expect("key A's token");
    let key_a = session_key(&server);
    let saved_a = store
        .load(&key_a)
        .expect("load")
        .expect("A's session saved");

    let key_b = SessionKey::new(server.base_url(), WORKSPACE, KEY_B);
    let first_b = store
        .save(&key_b, &session_of_key_b(&server), None)
        .expect("B's session saved by another process");
    let rotated = server.log().len();
    manager
        .update_api_key(KEY_B, ApiKeySecret::new(format!("{SECRET}-b")))
        .await
        .expect("rotated");

    // Past two refresh points of B's session.
    let until = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < until {
        manager.token().await.expect("a token after the rotation");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    manager.shutdown().await;

    let after: Vec<_> = server.log().into_iter().skip(rotated).collect();
    assert!(
        after
            .iter()
            .all(|logged| logged.endpoint == Endpoint::Refresh),
        "a login after the rotation: B's session was not used ({after:?})"
    );
    assert!(!after.is_empty(), "B's session refreshed");
    assert!(
        after
            .iter()
            .all(|logged| logged.api_key_id.as_deref() == Some(KEY_B)),
        "a refresh token of key A after the rotation ({after:?})"
    );
    assert_eq!(server.refused_refreshes(), 0);
    let stored_b = store.load(&key_b).expect("load").expect("B's session");
    assert!(stored_b.version > first_b, "B's refreshed session saved");
    let stored_a = store.load(&key_a).expect("load").expect("A's session");
    assert_eq!(stored_a.version, saved_a.version, "A's session left alone");
    assert_eq!(stored_a.api_key_id, KEY_ID);
}
