//! A manager with a store starts from the saved usable token with no
//! request, and refreshes it ahead of expiry like any other: the emulator
//! sees one authentication, then refreshes, none refused.

use std::time::{Duration, Instant};

use crate::kit::{accepted, auth_requests, config, file_store, server, sleep, sleep_until};
use crate::manager::{Manager, Options};

async fn store_start_from_saved<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = M::build(config(&server), Options::store(&path));
    let token = first.token().await.expect("token");
    first.shutdown().await;
    assert_eq!(auth_requests(&server), 1);

    let second = M::build(config(&server), Options::store(&path));
    let served = second.token().await.expect("token");
    assert_eq!(
        served.secret().expose_secret(),
        token.secret().expose_secret()
    );
    assert_eq!(auth_requests(&server), 1, "the saved token, no request");
    assert!(accepted(&server, &served));
    second.shutdown().await;
}

async fn store_start_from_saved_then_refreshes_ahead_of_expiry<M: Manager>() {
    let server = server(Duration::from_secs(4), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = M::build(config(&server), Options::store(&path));
    let token = first.token().await.expect("token");
    first.shutdown().await;

    let second = M::build(config(&server), Options::store(&path));
    let served = second.token().await.expect("token");
    assert_eq!(
        served.secret().expose_secret(),
        token.secret().expose_secret()
    );
    sleep_until(served.refresh_at()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let later = loop {
        let current = second.current().await.expect("served throughout");
        if current.secret().expose_secret() != token.secret().expose_secret() {
            break current;
        }
        assert!(Instant::now() < deadline, "not refreshed");
        sleep(Duration::from_millis(20)).await;
    };
    assert!(accepted(&server, &later));
    assert_eq!(server.token_requests(), 1, "never authenticated again");
    assert!(server.refresh_requests() >= 1);
    assert_eq!(server.refused_refreshes(), 0);
    second.shutdown().await;
}

every_manager!(
    store_start_from_saved,
    store_start_from_saved_then_refreshes_ahead_of_expiry,
);
