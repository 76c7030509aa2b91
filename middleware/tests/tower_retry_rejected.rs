//! A retry that gets a 401 as well is not retried again, and that 401 is
//! not blamed on the new token: it is returned, the new token stays (the
//! emulator sees no third token request), and later 401s to it are
//! returned without a retry or a withdrawal.

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
async fn a_401_to_the_retry_is_returned_and_the_fresh_token_kept() {
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
    let request = || {
        Request::post(server.url("/x"))
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("request")
    };

    let response = service.clone().oneshot(request()).await.expect("call");
    assert_eq!(response.status(), 401);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "sent, then retried once");
    assert_eq!(manager.try_token().expect("kept").generation().get(), 2);

    let response = service.oneshot(request()).await.expect("call");
    assert_eq!(response.status(), 401);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "no retry with a vouched-for token"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        auth_requests(&server),
        2,
        "no token withdrawn for the route's 401s"
    );
    assert_eq!(manager.try_token().expect("kept").generation().get(), 2);
}
