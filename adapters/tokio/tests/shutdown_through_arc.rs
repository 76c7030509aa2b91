//! `shutdown(&self)` works through an `Arc` and through any clone: every
//! handle then gets `Closed`, and the emulator sees nothing more (no
//! refresh, though the token reached its refresh point).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{auth_requests, config, server};
use revault_auth_tokio::{TokenError, TokenManager};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_through_an_arc_stops_every_handle() {
    let server = server(Duration::from_secs(2), Duration::from_secs(60));
    let manager = Arc::new(TokenManager::new(config(&server)).expect("runtime"));
    let clone = (*manager).clone();
    clone.token().await.expect("token");
    assert_eq!(auth_requests(&server), 1);

    manager.shutdown().await;
    assert!(matches!(clone.token().await, Err(TokenError::Closed)));
    assert!(manager.try_token().is_none());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(auth_requests(&server), 1, "nothing sent after shutdown");
}
