//! A request whose body cannot be replayed is not retried: the 401 comes
//! back to the caller, and the token is still reported, so the next
//! request gets a new one.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use common::{auth_requests, hyper_client, manager, server};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use revault_auth_middleware::{AuthLayer, NoRetry};
use tower::{ServiceBuilder, ServiceExt};

fn boxed(text: &'static str) -> BoxBody<Bytes, Infallible> {
    Full::new(Bytes::from_static(text.as_bytes())).boxed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_body_is_not_retried_and_the_401_is_returned() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = manager(&server);
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager.clone()))
        .service(hyper_client::<BoxBody<Bytes, Infallible>>());
    let post = |path: &str| {
        http::Request::post(server.url(path))
            .body(boxed("{}"))
            .expect("request")
    };
    let response = service.clone().oneshot(post("/a")).await.expect("call");
    assert_eq!(response.status(), 200);

    server.revoke_all();
    let response = service.clone().oneshot(post("/b")).await.expect("call");
    assert_eq!(response.status(), 401, "no retry for a BoxBody");
    assert_eq!(server.protected_requests(), 2, "sent once");

    // The 401 was reported: the next request carries a new token.
    let response = service.clone().oneshot(post("/c")).await.expect("call");
    assert_eq!(response.status(), 200);
    assert_eq!(auth_requests(&server), 2);
    assert_eq!(manager.try_token().expect("cached").generation().get(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_no_retry_policy_returns_the_401_even_for_a_buffered_body() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager(&server)).replay_policy(NoRetry))
        .service(hyper_client::<Full<Bytes>>());
    let post = |path: &str| {
        http::Request::post(server.url(path))
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("request")
    };
    assert_eq!(
        service
            .clone()
            .oneshot(post("/a"))
            .await
            .expect("call")
            .status(),
        200
    );
    server.revoke_all();
    let response = service.clone().oneshot(post("/b")).await.expect("call");
    assert_eq!(response.status(), 401);
    assert_eq!(server.protected_requests(), 2);
}
