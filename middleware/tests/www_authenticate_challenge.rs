//! The 401's `WWW-Authenticate` header decides when it speaks: a
//! `Bearer error="invalid_token"` challenge withdraws the token and retries
//! (the emulator sees a second token request), another `Bearer` error is
//! returned as it is and withdraws nothing.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{auth_requests, manager, server};
use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use revault_auth_middleware::AuthLayer;
use tower::{ServiceBuilder, ServiceExt, service_fn};

/// Answers the first call with a 401 carrying `challenge`, later ones 200.
async fn first_call_challenged(challenge: &'static str) -> (u16, usize, usize) {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let manager = manager(&server);
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = service_fn({
        let calls = Arc::clone(&calls);
        move |_: Request<Full<Bytes>>| {
            let mut response = Response::new(Full::new(Bytes::new()));
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                *response.status_mut() = StatusCode::UNAUTHORIZED;
                let value = HeaderValue::from_static(challenge);
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
            async move { Ok::<_, Infallible>(response) }
        }
    });
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager))
        .service(inner);
    let request = Request::get(server.url("/accounts"))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let status = service.oneshot(request).await.expect("call").status();
    tokio::time::sleep(Duration::from_millis(200)).await;
    (
        status.as_u16(),
        calls.load(Ordering::SeqCst),
        auth_requests(&server),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_token_challenge_withdraws_the_token_and_retries() {
    let challenge = r#"Bearer realm="revault", error="invalid_token""#;
    assert_eq!(first_call_challenged(challenge).await, (200, 2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_bearer_error_is_returned_and_withdraws_nothing() {
    let challenge = r#"Bearer error="insufficient_scope", scope="accounts:write""#;
    assert_eq!(first_call_challenged(challenge).await, (401, 1, 1));
}
