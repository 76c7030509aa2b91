//! New tokens are in the store before any caller is handed them: the event
//! hook (run as a token is published) finds each new token already saved,
//! and the emulator accepts it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{accepted, config, file_store, server, session_key};
use revault_auth_ureq::{BlockingTokenManager, Event, FileStore, TokenStore};

#[test]
fn store_saves_before_publish() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let key = session_key(&server);
    // What the store held each time a token was announced.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let hook = {
        let (seen, path, key) = (Arc::clone(&seen), path.clone(), key.clone());
        move |event: &Event| {
            if matches!(event, Event::Authenticated { .. } | Event::Refreshed { .. }) {
                let saved = FileStore::new(&path).load(&key).expect("load");
                let secret = saved.map(|saved| saved.access_token.expose_secret().to_owned());
                seen.lock().unwrap().push(secret.unwrap_or_default());
            }
        }
    };
    let manager = BlockingTokenManager::builder(config(&server))
        .with_store(FileStore::new(&path))
        .on_event(hook)
        .build();

    let first = manager.token_owned().expect("token");
    manager.force_refresh();
    let second = manager.token_owned().expect("token");
    assert_ne!(
        first.secret().expose_secret(),
        second.secret().expose_secret()
    );

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            first.secret().expose_secret().to_owned(),
            second.secret().expose_secret().to_owned()
        ],
        "each token was in the store when it was announced"
    );
    assert!(accepted(&server, &second));
    assert_eq!(server.refresh_requests(), 1);
}
