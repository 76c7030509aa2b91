//! Ten thousand callers waiting at expiry (the refresh answer is late, so the
//! token was withdrawn at its safety floor) cause no request beyond the one
//! refresh already in flight.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth_mock::{Fault, MockServer, Target};

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_callers_at_expiry_one_request() {
    let server = MockServer::start(mock_config(Duration::from_secs(2), Duration::from_secs(30)))
        .await
        .expect("emulator");
    // The refresh (sent at ~1.5 s) is answered after the token's safety
    // floor (1.8 s): callers find the cache empty and must wait.
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(1000)));
    let manager =
        Arc::new(TokenManager::new(config_for(&server).build().expect("config")).expect("runtime"));
    manager.token().await.expect("first token");

    let start = Instant::now();
    while manager.try_token().is_some() {
        assert!(start.elapsed() < Duration::from_secs(3), "never withdrawn");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.refresh_requests(), 1, "the refresh is in flight");

    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..10_000 {
        let manager = Arc::clone(&manager);
        callers.spawn(async move { manager.token().await.map(|t| t.generation().get()) });
    }
    let generations = callers.join_all().await;
    assert!(
        generations.iter().all(|g| *g == Ok(2)),
        "{:?}",
        &generations[..3]
    );
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 1);
}
