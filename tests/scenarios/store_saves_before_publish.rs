//! New tokens are in the store before any caller is handed them: when a
//! token is announced (first authentication, then a forced refresh), the
//! store already holds it, and the emulator accepts it.

use std::time::Duration;

use revault_auth::Event;
use revault_auth::tokio::{FileStore, TokenStore};

use crate::kit::{accepted, config, file_store, server, session_key, within};
use crate::manager::{Manager, Options};

async fn store_saves_before_publish<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let manager = M::build(config(&server), Options::store(&path));
    let saved = || {
        let saved = FileStore::new(&path).load(&session_key(&server));
        let saved = saved.expect("load").expect("saved");
        saved.access_token.expose_secret().to_owned()
    };
    let mut events = manager.subscribe();

    let first = manager.token().await.expect("token");
    assert_eq!(saved(), first.secret().expose_secret());

    manager.force_refresh();
    let refreshed = async {
        // A blocking manager refreshes on this call, an async one already has.
        let second = manager.token().await.expect("token");
        while !matches!(events.recv().await, Ok(Event::Refreshed { .. })) {}
        second
    };
    let second = within(Duration::from_secs(10), refreshed)
        .await
        .expect("refreshed");
    let published = manager.try_token().expect("published");
    assert_eq!(published.generation(), second.generation());
    assert_eq!(
        saved(),
        published.secret().expose_secret(),
        "the store held the token when it was published"
    );
    assert!(accepted(&server, &published));
    assert_eq!(server.refresh_requests(), 1);
    manager.shutdown().await;
}

every_manager!(store_saves_before_publish);
