//! Ten thousand callers asking for a token at a cold start cause exactly one
//! request to the server.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth_mock::MockServer;

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_callers_one_request() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    let manager =
        Arc::new(TokenManager::new(config_for(&server).build().expect("config")).expect("runtime"));
    let barrier = Arc::new(tokio::sync::Barrier::new(10_000));
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..10_000 {
        let (manager, barrier) = (Arc::clone(&manager), Arc::clone(&barrier));
        callers.spawn(async move {
            barrier.wait().await;
            manager.token().await.map(|t| t.generation().get())
        });
    }
    let generations = callers.join_all().await;
    assert_eq!(generations.len(), 10_000);
    assert!(generations.iter().all(|g| *g == Ok(1)));
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);
}
