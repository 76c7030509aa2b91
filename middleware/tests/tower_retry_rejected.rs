//! A retry that gets a 401 as well is not retried again: the 401 is
//! returned, and both tokens are reported, so the next request gets a new
//! one.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{auth_requests, manager, server};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use revault_auth_middleware::AuthLayer;
use tower::{ServiceBuilder, ServiceExt, service_fn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_401_is_returned_and_reported_without_a_loop() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = manager(&server);
    let calls = Arc::new(AtomicUsize::new(0));
    let always_401 = service_fn({
        let calls = Arc::clone(&calls);
        move |_: Request<Full<Bytes>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            async move { Ok::<_, Infallible>(response) }
        }
    });
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager.clone()))
        .service(always_401);

    let request = Request::post("http://revault.invalid/v1/rest/x")
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("request");
    let response = service.oneshot(request).await.expect("call");
    assert_eq!(response.status(), 401);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "sent, then retried once");

    // Both tokens were reported: a third one is obtained.
    tokio::time::timeout(Duration::from_secs(5), async {
        while manager.try_token().map(|t| t.generation().get()) != Some(3) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a third token");
    assert_eq!(auth_requests(&server), 3);
}
