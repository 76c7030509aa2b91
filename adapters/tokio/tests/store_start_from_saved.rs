//! A manager with a store starts from the saved usable token with no
//! request, and refreshes it ahead of expiry like any other (the emulator
//! sees one authentication, then refreshes, none refused).

mod common;

use std::time::Duration;

use common::{accepted, auth_requests, config, file_store, server};
use revault_auth_tokio::{FileStore, ReqwestTransport, TokenManager};

fn manager(server: &revault_auth_mock::MockServer, path: &std::path::Path) -> TokenManager {
    let transport = ReqwestTransport::new().expect("client");
    TokenManager::builder(config(server), transport)
        .with_store(FileStore::new(path))
        .build()
        .expect("runtime")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_start_from_saved() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = manager(&server, &path);
    let token = first.token_owned().await.expect("token");
    first.shutdown().await;
    assert_eq!(auth_requests(&server), 1);

    let second = manager(&server, &path);
    let served = second.token_owned().await.expect("token");
    assert_eq!(
        served.secret().expose_secret(),
        token.secret().expose_secret()
    );
    assert_eq!(auth_requests(&server), 1, "the saved token, no request");
    assert!(accepted(&server, &served).await);
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_start_from_saved_then_refreshes_ahead_of_expiry() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = manager(&server, &path);
    let token = first.token_owned().await.expect("token");
    first.shutdown().await;

    let second = manager(&server, &path);
    let served = second.token_owned().await.expect("token");
    assert_eq!(
        served.secret().expose_secret(),
        token.secret().expose_secret()
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = second
        .try_token()
        .expect("refreshed ahead of expiry, served at once");
    assert_ne!(
        later.secret().expose_secret(),
        token.secret().expose_secret()
    );
    assert!(accepted(&server, &later).await);
    assert_eq!(server.token_requests(), 1, "never authenticated again");
    assert!(server.refresh_requests() >= 1);
    assert_eq!(server.refused_refreshes(), 0);
    second.shutdown().await;
}
