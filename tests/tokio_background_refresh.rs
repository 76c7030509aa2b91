//! The token is refreshed in the background before it expires: callers
//! reading it never find the cache empty and never wait.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::Event;
use revault_auth::tokio::TokenManager;
use revault_auth_mock::MockServer;

#[tokio::test(flavor = "multi_thread")]
async fn refreshes_before_expiry_without_the_caller_waiting() {
    let server = MockServer::start(mock_config(Duration::from_secs(3), Duration::from_secs(30)))
        .await
        .expect("emulator");
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    let mut events = manager.subscribe();
    let first = manager.token_owned().await.expect("first token");
    let obtained = Instant::now();
    assert_eq!(first.generation().get(), 1);

    // Only the synchronous fast path from here on: if the driver did not
    // refresh on its own, the cache would empty at the safety floor.
    let mut generation = 1;
    while generation == 1 {
        assert!(obtained.elapsed() < Duration::from_secs(4), "no refresh");
        let token = manager.try_token().expect("never a gap between tokens");
        generation = token.generation().get();
        drop(token);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refreshed_after = obtained.elapsed();
    assert_eq!(generation, 2);
    // Refresh is due at 75-80 % of the 3 s lifetime; the token would be
    // withdrawn at 2.7 s (its safety floor).
    assert!(
        refreshed_after < Duration::from_millis(2700),
        "refreshed only after {refreshed_after:?}"
    );
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 1);

    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(
        seen.iter().any(|e| matches!(e, Event::Refreshed { .. })),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Expired { .. })),
        "{seen:?}"
    );
    manager.shutdown().await;
}
