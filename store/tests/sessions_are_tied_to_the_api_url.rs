//! A session belongs to (API URL, workspace, API key id). A store made
//! against server A never hands A's token to a client of server B, nor to
//! another workspace or API key; several sessions live side by side in one
//! file, each with its own version.

mod common;

use common::{ACCESS, API_KEY_ID, API_URL, WORKSPACE, key, tokens};
use revault_auth_core::SavedTokens;
use revault_auth_store::{FileStore, SessionKey, StoreError, TokenStore};

const SERVER_B: &str = "http://127.0.0.1:10/v1/rest";

#[test]
fn a_session_saved_for_server_a_is_not_loaded_for_server_b() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    store
        .save(&key(), &tokens(ACCESS), None)
        .expect("save for A");

    let server_b = SessionKey::new(SERVER_B, WORKSPACE, API_KEY_ID);
    assert!(store.load(&server_b).expect("load for B").is_none());
    // The same URL spelled differently is the same server.
    let same_a = SessionKey::new(
        format!(
            "{}/",
            API_URL.to_uppercase().replace("/V1/REST", "/v1/rest")
        ),
        WORKSPACE,
        API_KEY_ID,
    );
    assert!(store.load(&same_a).expect("load").is_some());
}

#[test]
fn another_workspace_or_api_key_gets_nothing() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    store.save(&key(), &tokens(ACCESS), None).expect("save");
    for other in [
        SessionKey::new(API_URL, "other-workspace", API_KEY_ID),
        SessionKey::new(API_URL, WORKSPACE, "other-key"),
    ] {
        assert!(store.load(&other).expect("load").is_none(), "{other:?}");
    }
}

#[test]
fn tokens_of_another_account_cannot_be_saved_under_a_key() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    let mut foreign: SavedTokens = tokens(ACCESS);
    foreign.workspace = "other-workspace".to_owned();
    let error = store.save(&key(), &foreign, None).expect_err("refused");
    assert!(matches!(error, StoreError::Implausible(_)), "{error:?}");
    assert!(!path.exists());
}

#[test]
fn a_hand_edited_entry_whose_tokens_name_another_account_is_not_handed_out() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    store.save(&key(), &tokens(ACCESS), None).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    // The entry still says WORKSPACE; its tokens now say otherwise.
    let edited = text.replacen(
        &format!("\"workspace\": \"{WORKSPACE}\""),
        "\"workspace\": \"placeholder\"",
        1,
    );
    let edited = edited
        .replace(
            &format!("\"workspace\": \"{WORKSPACE}\""),
            "\"workspace\": \"other-workspace\"",
        )
        .replace(
            "\"workspace\": \"placeholder\"",
            &format!("\"workspace\": \"{WORKSPACE}\""),
        );
    assert_ne!(edited, text);
    common::write_private(&path, edited);
    let error = store.load(&key()).expect_err("implausible");
    assert!(matches!(error, StoreError::Implausible(_)), "{error:?}");
}

#[test]
fn two_servers_keep_separate_sessions_and_versions_in_one_file() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    let server_b = SessionKey::new(SERVER_B, WORKSPACE, API_KEY_ID);
    let a = store
        .save(&key(), &tokens("zz-token-of-a"), None)
        .expect("A");
    let b = store
        .save(&server_b, &tokens("zz-token-of-b"), None)
        .expect("B");
    let a2 = store
        .save(&key(), &tokens("zz-token-of-a-2"), Some(a))
        .expect("A again");
    assert_eq!(a2, a + 1);
    // B's version did not move.
    assert!(matches!(
        store.save(&server_b, &tokens("zz-late"), Some(b + 1)),
        Err(StoreError::Conflict { .. })
    ));
    let loaded_a = store.load(&key()).expect("load").expect("A");
    let loaded_b = store.load(&server_b).expect("load").expect("B");
    assert_eq!(loaded_a.access_token.expose_secret(), "zz-token-of-a-2");
    assert_eq!(loaded_b.access_token.expose_secret(), "zz-token-of-b");
    assert_eq!(loaded_b.version, b);
}

#[test]
fn a_full_file_drops_the_session_saved_longest_ago() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    let url = |n: usize| format!("http://127.0.0.1:{}/v1/rest", 20 + n);
    for n in 0..17 {
        let session = SessionKey::new(url(n), WORKSPACE, API_KEY_ID);
        store.save(&session, &tokens(ACCESS), None).expect("save");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let first = SessionKey::new(url(0), WORKSPACE, API_KEY_ID);
    assert!(store.load(&first).expect("load").is_none(), "evicted");
    for n in 1..17 {
        let session = SessionKey::new(url(n), WORKSPACE, API_KEY_ID);
        assert!(store.load(&session).expect("load").is_some(), "{n}");
    }
}
