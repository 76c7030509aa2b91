//! New tokens are in the store before any caller is handed them: when a
//! token is published (first authentication, then a forced refresh), the
//! store already holds it, and the emulator accepts it.

mod common;

use std::time::Duration;

use common::{accepted, config, file_store, server, session_key};
use revault_auth_tokio::{Event, FileStore, ReqwestTransport, TokenManager, TokenStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_saves_before_publish() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let transport = ReqwestTransport::new().expect("client");
    let manager = TokenManager::builder(config(&server), transport)
        .with_store(FileStore::new(&path))
        .build()
        .expect("runtime");
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
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("an event")
            .expect("open");
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
    assert!(accepted(&server, &published).await);
    assert_eq!(server.refresh_requests(), 1);
    manager.shutdown().await;
}
