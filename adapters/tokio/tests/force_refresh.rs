//! `force_refresh` replaces the served token: the emulator sees one more
//! token request and the next token is a new generation.

mod common;

use std::time::Duration;

use common::{auth_requests, config, eventually, server};
use revault_auth_tokio::TokenManager;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_refresh_gets_a_new_token() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let manager = TokenManager::new(config(&server)).expect("runtime");
    let first = manager.token_owned().await.expect("token");
    manager.force_refresh();
    let second = manager.token_owned().await.expect("token");
    assert_ne!(first.generation(), second.generation());
    assert!(eventually(|| auth_requests(&server) == 2).await);
}
