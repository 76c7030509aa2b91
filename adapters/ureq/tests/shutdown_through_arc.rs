//! `shutdown(&self)` works through an `Arc` and through any clone: every
//! handle then gets `Closed`, and the emulator sees nothing more.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{auth_requests, config, server};
use revault_auth_ureq::{BlockingTokenManager, TokenError};

#[test]
fn shutdown_through_an_arc_stops_every_handle() {
    let server = server(Duration::from_secs(2), Duration::from_secs(60));
    let manager = Arc::new(BlockingTokenManager::new(config(&server)).expect("manager"));
    let clone = (*manager).clone();
    clone.token().expect("token");

    manager.shutdown();
    assert!(matches!(clone.token(), Err(TokenError::Closed)));
    std::thread::sleep(Duration::from_secs(2));
    assert!(matches!(clone.token(), Err(TokenError::Closed)));
    assert_eq!(auth_requests(&server), 1, "nothing sent after shutdown");
}
