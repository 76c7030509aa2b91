//! The tower layer on hyper-util's legacy client puts the token on every
//! request, sequential or concurrent, with one token request in all.

mod common;

use std::time::Duration;

use common::{auth_requests, get, hyper_client, manager, server};
use revault_auth_middleware::AuthLayer;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_through_the_layer_carries_the_token() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager(&server)))
        .service(hyper_client());

    for i in 0..5 {
        let url = server.url(&format!("/accounts/{i}"));
        let response = service.clone().oneshot(get(&url)).await;
        // The error (hyper-util's, wrapped) is an `Error`: tonic and tower
        // stacks can box it.
        let response = response
            .map_err(Box::<dyn std::error::Error + Send + Sync>::from)
            .expect("call");
        assert_eq!(response.status(), 200, "request {i}");
    }
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (service, url) = (service.clone(), server.url(&format!("/vaults/{i}")));
        calls.spawn(async move { service.oneshot(get(&url)).await.expect("call").status() });
    }
    for status in calls.join_all().await {
        assert_eq!(status, 200);
    }

    // The emulator answers 200 only with a valid bearer token.
    assert_eq!(server.protected_requests(), 25);
    assert_eq!(auth_requests(&server), 1, "one token for all");
}
