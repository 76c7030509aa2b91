//! The store never writes a file larger than it reads back: sixteen
//! sessions of the largest tokens the core accepts (16 KiB each, JSON
//! escapes doubling some) would make one, so the sessions saved longest
//! ago make way. And a file too large to read (ours, private) does not
//! stop every later save: it is replaced, as unreadable data is.

mod common;

use common::{API_KEY_ID, API_URL, key, tokens};
use revault_auth_core::{AccessTokenSecret, RefreshToken};
use revault_auth_store::{FileStore, MAX_FILE_BYTES, SessionKey, TokenStore};

/// The core's limit for one token.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A token of the largest size, every other character one JSON escapes.
fn maximal_token(tag: usize) -> String {
    let mut token = format!("{tag:04}-");
    while token.len() < MAX_TOKEN_LEN {
        token.push_str(if token.len() % 2 == 0 { "\"" } else { "\\" });
    }
    token.truncate(MAX_TOKEN_LEN);
    token
}

#[test]
fn sixteen_sessions_of_maximal_tokens_stay_readable() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    let mut largest = 0;
    for session in 0..16 {
        let workspace = format!("workspace-{session}");
        let key = SessionKey::new(API_URL, &workspace, API_KEY_ID);
        let mut saved = tokens("placeholder");
        saved.workspace = workspace;
        saved.access_token = AccessTokenSecret::new(maximal_token(session));
        saved.refresh_token = Some(RefreshToken::new(maximal_token(1000 + session)));
        store.save(&key, &saved, None).expect("saved");

        let size = std::fs::metadata(&path).expect("file").len();
        assert!(
            size <= MAX_FILE_BYTES,
            "{size} bytes written after session {session}"
        );
        largest = largest.max(size);
        let loaded = store
            .load(&key)
            .expect("readable")
            .expect("the session just saved");
        assert_eq!(loaded.access_token.expose_secret(), maximal_token(session));
    }
    let kept = (0..16)
        .filter(|session| {
            let key = SessionKey::new(API_URL, format!("workspace-{session}"), API_KEY_ID);
            store.load(&key).ok().flatten().is_some()
        })
        .count();
    eprintln!(
        "figure: 16 sessions of maximal tokens: largest file written {largest} bytes \
         (limit {MAX_FILE_BYTES}); {kept} most recent sessions kept"
    );
}

#[test]
fn an_oversized_file_of_ours_is_replaced_by_the_next_save() {
    let (_dir, path) = common::scratch();
    let oversized = format!(
        "{{\"store_format\":2,\"sessions\":[],\"pad\":\"{}\"}}",
        "x".repeat(300 * 1024)
    );
    common::write_private(&path, oversized);
    let store = FileStore::new(&path);
    assert!(store.load(&key()).is_err(), "too large to read");

    store
        .save(&key(), &tokens("fresh-access-token"), None)
        .expect("replaced");
    let loaded = store.load(&key()).expect("readable").expect("saved");
    assert_eq!(loaded.access_token.expose_secret(), "fresh-access-token");
    assert!(std::fs::metadata(&path).expect("file").len() <= MAX_FILE_BYTES);
}
