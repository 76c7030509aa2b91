//! A manager with a store starts from the saved usable token with no
//! request, and refreshes it ahead of expiry like any other (a blocking manager refreshes on the
//! first call past the refresh point; the emulator sees one authentication, then refreshes, none refused).

mod common;

use std::time::Duration;

use common::{accepted, auth_requests, config, file_store, server};
use revault_auth_ureq::{BlockingTokenManager, FileStore};

fn manager(server: &revault_auth_mock::MockServer, path: &std::path::Path) -> BlockingTokenManager {
    BlockingTokenManager::builder(config(server))
        .with_store(FileStore::new(path))
        .build()
}

#[test]
fn store_start_from_saved() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = manager(&server, &path);
    let token = first.token_owned().expect("token");
    first.shutdown();
    assert_eq!(auth_requests(&server), 1);

    let second = manager(&server, &path);
    let served = second.token_owned().expect("token");
    assert_eq!(
        served.secret().expose_secret(),
        token.secret().expose_secret()
    );
    assert_eq!(auth_requests(&server), 1, "the saved token, no request");
    assert!(accepted(&server, &served));
    second.shutdown();
}

#[test]
fn store_start_from_saved_then_refreshes_ahead_of_expiry() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = manager(&server, &path);
    let token = first.token_owned().expect("token");
    first.shutdown();

    let second = manager(&server, &path);
    let served = second.token_owned().expect("token");
    assert_eq!(
        served.secret().expose_secret(),
        token.secret().expose_secret()
    );
    std::thread::sleep(Duration::from_millis(2500));
    // A blocking manager refreshes on the first call past the refresh point.
    let later = second.token().expect("refreshed");
    assert_ne!(
        later.secret().expose_secret(),
        token.secret().expose_secret()
    );
    assert!(accepted(&server, &later));
    assert_eq!(server.token_requests(), 1, "never authenticated again");
    assert!(server.refresh_requests() >= 1);
    assert_eq!(server.refused_refreshes(), 0);
    second.shutdown();
}
