//! Load: 10,000 concurrent tokio tasks call `token()` for 60 s against the
//! emulator with 2 s access tokens. Zero errors; every token a probe uses
//! against a protected resource is accepted; and the emulator sees exactly
//! one request per refresh cycle (a stated slack of 1, for a cycle in flight
//! when the run stops).
//!
//! It runs for a minute, so `cargo test` skips it; `.ci/run` runs it with
//! `cargo test -p revault-auth --test load_tokio -- --ignored --nocapture`.
//! `LOAD_SECONDS` shortens or lengthens it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use revault_auth_core::Event;
use revault_auth_mock::MockServer;
use revault_auth_tokio::TokenManager;

const TASKS: usize = 10_000;
const SLACK: u64 = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs for a minute: .ci/run runs it on its own"]
async fn ten_thousand_tasks_for_a_minute_one_request_per_refresh_cycle() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let server = MockServer::start(common::mock_config(
        Duration::from_secs(2),
        Duration::from_secs(30),
    ))
    .await
    .expect("emulator");
    let manager = Arc::new(
        TokenManager::new(common::config_for(&server).build().expect("config")).expect("manager"),
    );
    let mut events = manager.subscribe();
    let cycles = Arc::new(AtomicU64::new(0));
    let counted = cycles.clone();
    let event_counter = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if matches!(
                event,
                Event::Authenticated { .. }
                    | Event::Refreshed { .. }
                    | Event::Reauthenticated { .. }
            ) {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        }
    });

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let calls = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        let (manager, calls, errors) = (manager.clone(), calls.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match manager.token().await {
                    Ok(token) => {
                        if token.usable_until() <= Instant::now() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                calls.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }

    // A probe uses the served token against a protected resource: the
    // emulator itself says whether it is valid.
    let client = reqwest::Client::new();
    let (mut probes, mut rejected) = (0u64, 0u64);
    while Instant::now() < deadline {
        let token = manager.token_owned().await.expect("token");
        let answer = client
            .get(server.url("/accounts"))
            .header(http::header::AUTHORIZATION, token.header_value().clone())
            .send()
            .await
            .expect("emulator answers");
        probes += 1;
        if answer.status() != reqwest::StatusCode::OK {
            rejected += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for task in tasks {
        task.await.expect("no panic");
    }
    let requests = (server.token_requests() + server.refresh_requests()) as u64;
    let cycles = cycles.load(Ordering::SeqCst);
    println!(
        "load: {TASKS} tasks, {seconds} s, {} token() calls, {} errors, {probes} probes ({rejected} rejected), \
         {cycles} refresh cycles, {requests} requests to the emulator ({} token, {} refresh)",
        calls.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        server.token_requests(),
        server.refresh_requests(),
    );
    assert_eq!(errors.load(Ordering::Relaxed), 0);
    assert_eq!(rejected, 0, "a served token was refused by the emulator");
    assert!(cycles >= seconds / 2, "tokens were refreshed: {cycles}");
    assert!(
        requests >= cycles && requests <= cycles + SLACK,
        "{requests} requests for {cycles} refresh cycles"
    );
    event_counter.abort();
}
