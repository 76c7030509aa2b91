//! A revoked token through reqwest: the middleware reports the 401 and
//! retries with the new token; many concurrent 401s cause one token request.

mod common;

use std::time::Duration;

use common::{auth_requests, manager, server};
use revault_auth_middleware::{AuthMiddleware, reqwest_middleware};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_tokens_are_replaced_once_and_requests_retried() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = manager(&server);
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(manager.clone()))
        .build();

    let status = client
        .get(server.url("/a"))
        .send()
        .await
        .expect("call")
        .status();
    assert_eq!(status, 200);
    let first = manager.token_owned().await.expect("token");

    // One request: one 401, one retry.
    server.revoke_access_token(first.secret().expose_secret());
    let response = client
        .post(server.url("/b"))
        .body("{\"amount\":1}")
        .send()
        .await
        .expect("call");
    assert_eq!(
        response.status(),
        200,
        "the retry with a new token succeeds"
    );
    assert_eq!(server.protected_requests(), 3);
    assert_eq!(auth_requests(&server), 2);

    // Thirty at once: still one new token.
    server.revoke_all();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..30 {
        let request = client.get(server.url(&format!("/accounts/{i}")));
        calls.spawn(async move { request.send().await.expect("call").status() });
    }
    for status in calls.join_all().await {
        assert_eq!(status, 200);
    }
    let protected = server.protected_requests() - 3;
    assert!(protected > 30 && protected <= 60, "{protected}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(auth_requests(&server), 3, "one new token for all the 401s");
    assert_eq!(manager.try_token().expect("cached").generation().get(), 3);
}
