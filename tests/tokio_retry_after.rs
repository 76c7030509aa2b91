//! A 429 with `Retry-After: 1` holds the next request back for a second.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::Event;
use revault_auth::tokio::TokenManager;
use revault_auth_mock::{Fault, MockServer, Target};

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    server.push_fault(Target::Token, Fault::rate_limited(1));
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    let mut events = manager.subscribe();

    let start = Instant::now();
    manager.token().await.expect("a token after the wait");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let log = server.log();
    let statuses: Vec<_> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
    let gap = log[1].at.duration_since(log[0].at);
    assert!(
        gap >= Duration::from_secs(1),
        "second request after {gap:?}"
    );
    assert!(
        gap < Duration::from_millis(1800),
        "second request after {gap:?}"
    );

    let mut limited = None;
    while let Ok(event) = events.try_recv() {
        if let Event::RateLimited { status, delay } = event {
            limited = Some((status, delay));
        }
    }
    assert_eq!(limited, Some((429, Duration::from_secs(1))));
    manager.shutdown().await;
}
