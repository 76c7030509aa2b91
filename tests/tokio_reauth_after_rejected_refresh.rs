//! When the refresh endpoint rejects the refresh token, the manager
//! re-authenticates with the API key once, in the background.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::Event;
use revault_auth::core::ReauthReason;
use revault_auth::tokio::TokenManager;
use revault_auth_mock::{Fault, MockServer, Target};

#[tokio::test(flavor = "multi_thread")]
async fn reauthenticates_after_a_rejected_refresh() {
    let server = MockServer::start(mock_config(Duration::from_secs(2), Duration::from_secs(30)))
        .await
        .expect("emulator");
    server.push_fault(Target::Refresh, Fault::unauthorized());
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    let mut events = manager.subscribe();
    manager.token().await.expect("first token");

    let start = Instant::now();
    while manager.try_token().map(|t| t.generation().get()) != Some(2) {
        assert!(start.elapsed() < Duration::from_secs(3), "no new token");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 2);
    let statuses: Vec<_> = server.log().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(200), Some(401), Some(200)]);

    let mut reauthenticated = false;
    while let Ok(event) = events.try_recv() {
        if let Event::Reauthenticated { reason, .. } = event {
            assert_eq!(reason, ReauthReason::RefreshRejected);
            reauthenticated = true;
        }
    }
    assert!(reauthenticated);
    manager.shutdown().await;
}
