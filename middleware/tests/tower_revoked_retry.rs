//! A revoked token: the layer reports the 401, and retries with the new
//! token; many concurrent 401s for one token cause one token request.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{auth_requests, get, hyper_client, manager, server};
use http_body_util::Full;
use revault_auth_middleware::AuthLayer;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_gets_one_401_then_a_retry_that_succeeds() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = manager(&server);
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager.clone()))
        .service(hyper_client::<Full<Bytes>>());
    let post = |path: &str| {
        http::Request::post(server.url(path))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(b"{\"amount\":1}")))
            .expect("request")
    };

    let response = service.clone().oneshot(post("/a")).await.expect("call");
    assert_eq!(response.status(), 200);
    assert_eq!(manager.try_token().expect("cached").generation().get(), 1);

    server.revoke_all();
    let response = service.clone().oneshot(post("/b")).await.expect("call");
    assert_eq!(
        response.status(),
        200,
        "the retry with a new token succeeds"
    );
    assert_eq!(server.protected_requests(), 3, "one 401, one retry");
    assert_eq!(auth_requests(&server), 2, "one new token");
    assert_eq!(manager.try_token().expect("cached").generation().get(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_401s_for_one_token_cause_one_token_request() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = manager(&server);
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager.clone()))
        .service(hyper_client());
    let response = service
        .clone()
        .oneshot(get(&server.url("/warm-up")))
        .await
        .expect("call");
    assert_eq!(response.status(), 200);
    let first = manager.token_owned().await.expect("token");

    server.revoke_access_token(first.secret().expose_secret());
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (service, url) = (service.clone(), server.url(&format!("/accounts/{i}")));
        calls.spawn(async move { service.oneshot(get(&url)).await.expect("call").status() });
    }
    for status in calls.join_all().await {
        assert_eq!(status, 200, "every call ends with a working token");
    }

    let protected = server.protected_requests() - 1;
    assert!(
        protected > 30 && protected <= 60,
        "each call sent once, plus one retry per 401: {protected}"
    );
    // Let any stray report reach the driver before counting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(auth_requests(&server), 2, "one new token for all the 401s");
    assert_eq!(manager.try_token().expect("cached").generation().get(), 2);
}
