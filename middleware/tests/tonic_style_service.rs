//! A tonic-style generic service (`tower::service_fn` over
//! `http::Request<Full<Bytes>>`): the layer fits the bounds tonic puts on a
//! transport, sets the sensitive header, honours `poll_ready`, and replays
//! the same body after a 401.

mod common;

use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{hyper_client, manager, server};
use http::header::AUTHORIZATION;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use revault_auth_middleware::{AuthLayer, AuthServiceError};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

type BoxError = Box<dyn Error + Send + Sync>;

/// What one inner call saw: whether the header was sensitive, the header,
/// and the body.
type Seen = Arc<Mutex<Vec<(bool, String, Bytes)>>>;

/// The bounds tonic's `GrpcService` blanket impl asks of a transport.
fn grpc_like<S>(service: S) -> S
where
    S: Service<Request<Full<Bytes>>, Response = Response<Full<Bytes>>> + Clone + Send,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    service
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generic_http_service_is_authorized_and_retried() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let seen: Seen = Arc::default();
    let client = hyper_client::<Full<Bytes>>();
    let inner = service_fn({
        let seen = Arc::clone(&seen);
        move |request: Request<Full<Bytes>>| {
            let (seen, client) = (Arc::clone(&seen), client.clone());
            async move {
                let header = request.headers().get(AUTHORIZATION).expect("header set");
                let body = request.body().clone().collect().await?.to_bytes();
                seen.lock().expect("lock").push((
                    header.is_sensitive(),
                    header.to_str().expect("ascii").to_owned(),
                    body,
                ));
                let response = client.request(request).await?;
                let (parts, body) = response.into_parts();
                let body = Full::new(body.collect().await?.to_bytes());
                Ok::<_, BoxError>(Response::from_parts(parts, body))
            }
        }
    });
    // The inner error is a `BoxError` already: map ours back to one.
    let mut service = grpc_like(
        ServiceBuilder::new()
            .map_err(AuthServiceError::into_box_error)
            .layer(AuthLayer::new(manager(&server)))
            .service(inner),
    );

    let post = |path: &str| {
        Request::post(server.url(path))
            .body(Full::new(Bytes::from_static(b"payload")))
            .expect("request")
    };
    // Drive readiness by hand, as tonic does, then call.
    let response = service
        .ready()
        .await
        .expect("ready")
        .call(post("/grpc.Ledger/Get"))
        .await
        .expect("call");
    assert_eq!(response.status(), 200);

    server.revoke_all();
    let response = service
        .ready()
        .await
        .expect("ready")
        .call(post("/grpc.Ledger/Put"))
        .await
        .expect("call");
    assert_eq!(response.status(), 200, "retried with a new token");

    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 3, "first call, the 401, the retry");
    for (sensitive, header, body) in seen.iter() {
        assert!(sensitive, "the header is marked sensitive");
        assert!(header.starts_with("Bearer "), "a bearer token");
        assert_eq!(body.as_ref(), b"payload", "the same body every time");
    }
    assert_eq!(seen[0].1, seen[1].1, "the revoked token was the cached one");
    assert_ne!(seen[1].1, seen[2].1, "the retry carries a new token");
}
