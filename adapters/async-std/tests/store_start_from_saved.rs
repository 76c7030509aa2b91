//! A manager with a store starts from the saved usable token with no
//! request, and refreshes it ahead of expiry like any other (the emulator
//! sees one authentication, then refreshes, none refused).

mod common;

use std::time::Duration;

use common::{accepted, auth_requests, config, file_store, server};
use revault_auth_async_std::{FileStore, TokenManager, UreqTransport};

fn manager(server: &revault_auth_mock::MockServer, path: &std::path::Path) -> TokenManager {
    let transport = UreqTransport::new();
    TokenManager::builder(config(server), transport)
        .with_store(FileStore::new(path))
        .build()
        .expect("driver")
}

#[test]
fn store_start_from_saved() {
    smol::block_on(async {
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
        assert!(accepted(&server, &served));
        second.shutdown().await;
    });
}

#[test]
fn store_start_from_saved_then_refreshes_ahead_of_expiry() {
    smol::block_on(async {
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
        smol::Timer::after(Duration::from_millis(2500)).await;
        let later = second
            .try_token()
            .expect("refreshed ahead of expiry, served at once");
        assert_ne!(
            later.secret().expose_secret(),
            token.secret().expose_secret()
        );
        assert!(accepted(&server, &later));
        assert_eq!(server.token_requests(), 1, "never authenticated again");
        assert!(server.refresh_requests() >= 1);
        assert_eq!(server.refused_refreshes(), 0);
        second.shutdown().await;
    });
}
