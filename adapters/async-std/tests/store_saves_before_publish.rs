//! New tokens are in the store before any caller is handed them: when a
//! token is published (first authentication, then a forced refresh), the
//! store already holds it, and the emulator accepts it.

mod common;

use std::time::Duration;

use common::{accepted, config, file_store, server, session_key};
use revault_auth_async_std::{Event, FileStore, TokenManager, TokenStore, UreqTransport};

#[test]
fn store_saves_before_publish() {
    smol::block_on(async {
        let server = server(Duration::from_secs(60), Duration::from_secs(600));
        let (_dir, path) = file_store();
        let transport = UreqTransport::new();
        let manager = TokenManager::builder(config(&server), transport)
            .with_store(FileStore::new(&path))
            .build()
            .expect("driver");
        let reader = FileStore::new(&path);
        let key = session_key(&server);
        let mut events = manager.subscribe();

        let first = manager.token_owned().await.expect("token");
        let saved = reader.load(&key).expect("load").expect("saved");
        assert_eq!(
            saved.access_token.expose_secret(),
            first.secret().expose_secret()
        );

        manager.force_refresh();
        loop {
            let event = smol::future::or(async { events.recv().await.ok() }, async {
                smol::Timer::after(Duration::from_secs(5)).await;
                None
            })
            .await
            .expect("an event");
            if matches!(event, Event::Refreshed { .. }) {
                break;
            }
        }
        let published = manager.try_token().expect("published");
        let saved = reader.load(&key).expect("load").expect("saved");
        assert_eq!(
            saved.access_token.expose_secret(),
            published.secret().expose_secret(),
            "the store held the token when it was published"
        );
        assert!(accepted(&server, &published));
        assert_eq!(server.refresh_requests(), 1);
        manager.shutdown().await;
    });
}
