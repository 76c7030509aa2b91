//! The middleware is not tied to tokio: the blocking ureq manager and the
//! async-std/smol manager are token sources too. The emulator accepts the
//! token each puts on the request, and saw one token request each.

mod common;

use std::time::Duration;

use common::{KEY_ID, SECRET, WORKSPACE, auth_requests, server};
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_middleware::{AuthMiddleware, TokenSource};
use revault_auth_mock::MockServer;

fn config(server: &MockServer) -> Config {
    Config::builder(
        server.base_url(),
        WORKSPACE,
        KEY_ID,
        ApiKeySecret::new(SECRET),
    )
    .build()
    .expect("config")
}

async fn accounts_through(server: &MockServer, source: impl TokenSource + Clone) -> u16 {
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(source))
        .build();
    let answer = client
        .get(server.url("/accounts"))
        .send()
        .await
        .expect("answer");
    answer.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ureq_manager_is_a_token_source() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = revault_auth_ureq::BlockingTokenManager::new(config(&server)).expect("manager");
    assert_eq!(accounts_through(&server, manager.clone()).await, 200);
    assert_eq!(accounts_through(&server, manager).await, 200);
    assert_eq!(auth_requests(&server), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_std_manager_is_a_token_source() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = revault_auth_async_std::TokenManager::new(config(&server)).expect("manager");
    assert_eq!(accounts_through(&server, manager.clone()).await, 200);
    assert_eq!(auth_requests(&server), 1);
}
