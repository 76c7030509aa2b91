//! A route the key may not use must not stall the others. Through one
//! reqwest-middleware client, 8 tasks call a route that answers 401 to
//! every token (a permission the key lacks) while one task calls a healthy
//! route every 10 ms for 4 s. Every healthy call succeeds well under 100 ms
//! (a generous bound, not a benchmark), and the emulator's log shows a
//! handful of token requests.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{auth_requests, manager, server};
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{ClientBuilder, Middleware, Next};
use revault_auth_middleware::AuthMiddleware;

/// The misconfigured route: a 401 to every token, after a millisecond.
struct Forbidden(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl Middleware for Forbidden {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !request.url().path().ends_with("/forbidden") {
            return next.run(request, extensions).await;
        }
        self.0.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1)).await;
        let answer = http::Response::builder()
            .status(401)
            .body(Vec::<u8>::new())
            .expect("response");
        Ok(Response::from(answer))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_answering_401_to_everything_stalls_nobody() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600)).await;
    let manager = manager(&server);
    let forbidden_calls = Arc::new(AtomicUsize::new(0));
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(manager.clone()))
        .with(Forbidden(Arc::clone(&forbidden_calls)))
        .build();
    client
        .get(server.url("/warm-up"))
        .send()
        .await
        .expect("warm-up");
    let end = Instant::now() + Duration::from_secs(4);

    let mut forbidden = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url) = (client.clone(), server.url("/forbidden"));
        forbidden.spawn(async move {
            while Instant::now() < end {
                let answer = client.get(&url).send().await.expect("an answer");
                assert_eq!(answer.status(), 401);
            }
        });
    }
    let mut slowest = Duration::ZERO;
    let mut healthy = 0;
    while Instant::now() < end {
        let started = Instant::now();
        let answer = client
            .get(server.url("/accounts"))
            .send()
            .await
            .expect("an answer");
        let took = started.elapsed();
        assert_eq!(
            answer.status(),
            200,
            "the healthy route after {healthy} calls"
        );
        assert!(
            took < Duration::from_millis(100),
            "a healthy call took {took:?}"
        );
        slowest = slowest.max(took);
        healthy += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    forbidden.join_all().await;

    let requests = auth_requests(&server);
    println!(
        "{healthy} healthy calls (slowest {slowest:?}), {} calls to the 401 route, {requests} token requests",
        forbidden_calls.load(Ordering::Relaxed)
    );
    assert!(healthy >= 100, "{healthy} healthy calls in 4 s");
    assert!(forbidden_calls.load(Ordering::Relaxed) >= 100);
    assert!(requests <= 3, "{requests} token requests");
}
