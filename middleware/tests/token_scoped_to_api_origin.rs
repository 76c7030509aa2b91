//! The token goes to the API's origin only. Through the same client, a
//! request to another origin (here: another port) goes out without it, as
//! that server records; `allow_origin` widens the scope. Both the tower
//! layer and the reqwest middleware.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{hyper_client, manager, server};
use http_body_util::Empty;
use revault_auth_middleware::{AuthLayer, AuthMiddleware, Origin};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{ServiceBuilder, ServiceExt};

/// A server on another port that records, for each request, whether it
/// carried an `Authorization` header. Returns its base URL.
async fn third_party() -> (String, Arc<Mutex<Vec<bool>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = vec![0; 8192];
            let read = stream.read(&mut head).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&head[..read]).to_ascii_lowercase();
            record
                .lock()
                .expect("lock")
                .push(head.contains("\r\nauthorization:"));
            let answer = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reqwest_middleware_keeps_the_token_to_the_api_origin() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let (other, seen) = third_party().await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(manager(&server)))
        .build();
    let api = client
        .get(server.url("/accounts"))
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), 200, "the API got the token");
    client
        .get(format!("{other}/x"))
        .send()
        .await
        .expect("other");
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![false],
        "no token elsewhere"
    );

    let widened = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(
            AuthMiddleware::new(manager(&server)).allow_origin(Origin::parse(&other).expect("url")),
        )
        .build();
    widened
        .get(format!("{other}/y"))
        .send()
        .await
        .expect("other");
    assert_eq!(*seen.lock().expect("lock"), vec![false, true], "widened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tower_layer_keeps_the_token_to_the_api_origin() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let (other, seen) = third_party().await;
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager(&server)))
        .service(hyper_client::<Empty<Bytes>>());
    let get = |url: String| http::Request::get(url).body(Empty::new()).expect("request");
    let api = service
        .clone()
        .oneshot(get(server.url("/accounts")))
        .await
        .expect("api");
    assert_eq!(api.status(), 200, "the API got the token");
    service
        .clone()
        .oneshot(get(format!("{other}/x")))
        .await
        .expect("other");
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![false],
        "no token elsewhere"
    );

    let widened = ServiceBuilder::new()
        .layer(AuthLayer::new(manager(&server)).any_origin())
        .service(hyper_client::<Empty<Bytes>>());
    widened
        .oneshot(get(format!("{other}/y")))
        .await
        .expect("other");
    assert_eq!(*seen.lock().expect("lock"), vec![false, true], "widened");
}
