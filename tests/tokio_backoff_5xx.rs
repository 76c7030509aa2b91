//! Server errors are retried with backoff until a token arrives; a caller
//! that cannot wait that long gets the last error.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::tokio::{TokenError, TokenManager};
use revault_auth::{AuthError, Event};
use revault_auth_mock::{Fault, MockServer, Target};

#[tokio::test(flavor = "multi_thread")]
async fn two_server_errors_then_a_token() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    server.push_fault(Target::Token, Fault::server_error());
    server.push_fault(Target::Token, Fault::server_error());
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    let mut events = manager.subscribe();

    let start = Instant::now();
    let token = manager.token().await.expect("a token after the errors");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(token.generation().get(), 1);
    assert_eq!(server.token_requests(), 3);
    let log = server.log();
    let statuses: Vec<_> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    // config_for sets a 20 ms backoff base: no attempt follows another sooner.
    for pair in log.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap >= Duration::from_millis(20), "{gap:?}");
    }
    let mut retries = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::RetryScheduled { error, attempt, .. } = event {
            retries.push((error, attempt));
        }
    }
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert!(
        retries
            .iter()
            .all(|(e, _)| matches!(e, AuthError::Server { status: 500, .. }))
    );
    assert_eq!(retries[1].1, 2);
    drop(token);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_that_cannot_wait_gets_the_last_error() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    server.set_persistent_fault(Target::Token, Some(Fault::status(503)));
    let manager = TokenManager::new(config_for(&server).build().expect("config"))
        .expect("runtime")
        .wait_timeout(Duration::from_millis(400));

    let error = manager
        .token()
        .await
        .expect_err("no token while the server fails");
    match error {
        TokenError::TimedOut {
            waited_ms,
            last_error: Some(AuthError::Server { status: 503, .. }),
        } => assert!(waited_ms >= 400, "{waited_ms}"),
        other => panic!("unexpected {other:?}"),
    }
    // Backoff, not a hammering loop: 400 ms of exponential delays from 20 ms.
    let attempts = server.token_requests();
    assert!((2..=12).contains(&attempts), "{attempts} attempts");

    // The manager keeps trying; once the server recovers a token arrives.
    server.set_persistent_fault(Target::Token, None);
    let manager = manager.wait_timeout(Duration::from_secs(5));
    manager.token().await.expect("a token after recovery");
    manager.shutdown().await;
}
