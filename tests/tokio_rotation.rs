//! Refresh tokens rotate: each is sent once, and every refresh succeeds with
//! the token the previous one returned.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth_mock::{Endpoint, MockServer};

#[tokio::test(flavor = "multi_thread")]
async fn each_refresh_token_is_used_once() {
    let server = MockServer::start(mock_config(
        Duration::from_millis(1200),
        Duration::from_secs(30),
    ))
    .await
    .expect("emulator");
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    manager.token().await.expect("first token");

    let start = Instant::now();
    while manager.try_token().map(|t| t.generation().get()) < Some(4) {
        assert!(start.elapsed() < Duration::from_secs(5), "three refreshes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.token_requests(), 1, "no re-authentication");
    assert_eq!(server.refresh_requests(), 3);
    let refreshes: Vec<_> = server
        .log()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Refresh)
        .collect();
    assert_eq!(refreshes.len(), 3);
    // A refresh token sent twice would have been answered 401.
    assert!(
        refreshes.iter().all(|r| r.status == Some(200)),
        "{refreshes:?}"
    );
    manager.shutdown().await;
}
