//! Server errors are retried with backoff: with no valid token the caller
//! waits the backoff out; a caller that cannot wait that long gets the last
//! error; with a valid token, callers keep it while the refresh keeps
//! failing, at a bounded rate, until it is withdrawn at its floor.

use std::time::{Duration, Instant};

use revault_auth::{AuthError, Event, TokenError};
use revault_auth_mock::{Fault, Target};

use crate::kit::{config_for, drain, eventually, server, sleep, sleep_until};
use crate::manager::{Manager, Options};

async fn cold_start_waits_out_the_backoff_between_5xx<M: Manager>() {
    const BASE: Duration = Duration::from_millis(200);
    let server = server(Duration::from_secs(300), Duration::from_secs(1800));
    server.push_fault(Target::Token, Fault::status(503));
    server.push_fault(Target::Token, Fault::server_error());
    let config = config_for(&server).tune(|policy| {
        policy.backoff_base = BASE;
        policy.backoff_cap = Duration::from_secs(1);
    });
    let manager = M::new(config.build().expect("config"));
    let mut events = manager.subscribe();

    let started = Instant::now();
    let token = manager.token().await.expect("a token after two failures");
    assert_eq!(token.generation().get(), 1);
    assert!(started.elapsed() >= 2 * BASE, "{:?}", started.elapsed());
    assert_eq!(server.token_requests(), 3);
    let log = server.log();
    let statuses: Vec<_> = log.iter().map(|request| request.status).collect();
    assert_eq!(statuses, [Some(503), Some(500), Some(200)]);
    for pair in log.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= BASE - Duration::from_millis(5), "gap {gap:?}");
    }
    let retries: Vec<_> = drain(&mut events)
        .into_iter()
        .filter_map(|event| match event {
            Event::RetryScheduled {
                error,
                delay,
                attempt,
                ..
            } => Some((error, delay, attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert!(matches!(
        retries[0].0,
        AuthError::Server { status: 503, .. }
    ));
    assert!(matches!(
        retries[1].0,
        AuthError::Server { status: 500, .. }
    ));
    assert_eq!(retries[1].2, 2, "{retries:?}");
    assert!(retries.iter().all(|(_, delay, _)| *delay >= BASE));
    manager.shutdown().await;
}

async fn a_caller_that_cannot_wait_gets_the_last_error<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120));
    server.set_persistent_fault(Target::Token, Some(Fault::status(503)));
    let options = Options::wait(Duration::from_millis(400));
    let manager = M::build(config_for(&server).build().expect("config"), options);

    match manager.token().await {
        Err(TokenError::TimedOut {
            waited,
            last_error: Some(AuthError::Server { status: 503, .. }),
            ..
        }) => assert!(waited >= Duration::from_millis(400), "{waited:?}"),
        other => panic!("unexpected {other:?}"),
    }
    // Backoff, not a hammering loop: 400 ms of exponential delays from 20 ms.
    let attempts = server.token_requests();
    assert!((2..=12).contains(&attempts), "{attempts} attempts");

    // Once the server recovers, a token arrives.
    server.set_persistent_fault(Target::Token, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Err(error) = manager.token().await {
        assert!(
            Instant::now() < deadline,
            "no token after recovery: {error:?}"
        );
    }
    manager.shutdown().await;
}

async fn failing_refreshes_keep_the_token_served_at_a_bounded_rate<M: Manager>() {
    const BASE: Duration = Duration::from_millis(300);
    let server = server(Duration::from_secs(8), Duration::from_secs(60));
    let config = config_for(&server).tune(|policy| {
        policy.backoff_base = BASE;
        policy.backoff_cap = BASE;
    });
    let manager = M::new(config.build().expect("config"));
    let first = manager.token().await.expect("first");
    server.set_persistent_fault(Target::Both, Some(Fault::server_error()));

    sleep_until(first.refresh_at()).await;
    let window_start = Instant::now();
    let mut slowest = Duration::ZERO;
    while Instant::now() + Duration::from_millis(50) < first.usable_until() {
        let asked = Instant::now();
        let token = manager.current().await.expect("the current token");
        slowest = slowest.max(asked.elapsed());
        assert_eq!(token.generation(), first.generation());
        sleep(Duration::from_millis(5)).await;
    }
    let window = window_start.elapsed();
    let attempts = auth_attempts_after_the_first(&server);
    assert!(slowest < BASE, "a caller was held back: {slowest:?}");
    assert!(attempts >= 2, "it kept trying: {attempts}");
    let bound = (window.as_millis() / BASE.as_millis()) as usize + 2;
    assert!(attempts <= bound, "{attempts} attempts in {window:?}");

    // Withdrawn at its floor; callers then wait for the next success.
    sleep_until(first.usable_until()).await;
    assert!(eventually(|| manager.try_token().is_none()).await);
    let late = first.usable_until().elapsed();
    assert!(
        late < Duration::from_secs(1),
        "withdrawn {late:?} after its floor"
    );
    server.set_persistent_fault(Target::Both, None);
    let second = manager
        .token()
        .await
        .expect("a token once the server recovers");
    assert_eq!(second.generation().get(), 2);
    manager.shutdown().await;
}

fn auth_attempts_after_the_first(server: &revault_auth_mock::MockServer) -> usize {
    crate::kit::auth_requests(server) - 1
}

every_manager!(
    cold_start_waits_out_the_backoff_between_5xx,
    a_caller_that_cannot_wait_gets_the_last_error,
    failing_refreshes_keep_the_token_served_at_a_bounded_rate,
);
