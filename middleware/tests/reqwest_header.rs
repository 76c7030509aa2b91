//! The reqwest middleware puts the token on every request, sequential or
//! concurrent, with one token request in all.

mod common;

use std::time::Duration;

use common::{auth_requests, manager, server};
use revault_auth_middleware::{AuthMiddleware, reqwest_middleware};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_through_the_middleware_carries_the_token() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(manager(&server)))
        .build();

    for i in 0..5 {
        let response = client
            .get(server.url(&format!("/accounts/{i}")))
            .send()
            .await
            .expect("call");
        assert_eq!(response.status(), 200, "request {i}");
    }
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let request = client.post(server.url(&format!("/vaults/{i}"))).body("{}");
        calls.spawn(async move { request.send().await.expect("call").status() });
    }
    for status in calls.join_all().await {
        assert_eq!(status, 200);
    }

    assert_eq!(server.protected_requests(), 25);
    assert_eq!(auth_requests(&server), 1, "one token for all");
}
