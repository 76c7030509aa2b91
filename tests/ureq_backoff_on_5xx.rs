//! Transient 5xx answers are retried with backoff: with no valid token the
//! caller waits the backoff out; with a valid one, callers are never put to
//! sleep and keep the current token while the refresh keeps failing.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_core::AuthError;
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_ureq::{BlockingTokenManager, Event};

const BASE: Duration = Duration::from_millis(200);

#[test]
fn cold_start_waits_out_the_backoff_between_5xx() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    server.push_fault(Target::Token, Fault::status(503));
    server.push_fault(Target::Token, Fault::server_error());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let config = config_for(&server)
        .tune(|policy| {
            policy.backoff_base = BASE;
            policy.backoff_cap = Duration::from_secs(1);
        })
        .build()
        .expect("config");
    let manager = BlockingTokenManager::builder(config)
        .on_event(move |event| sink.lock().expect("events").push(event.clone()))
        .build();

    let started = Instant::now();
    let token = manager.token().expect("a token after two failures");
    assert_eq!(token.generation().get(), 1);
    assert!(started.elapsed() >= 2 * BASE, "{:?}", started.elapsed());
    assert_eq!(server.token_requests(), 3);
    let arrivals: Vec<Instant> = server.log().iter().map(|entry| entry.at).collect();
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= BASE - Duration::from_millis(5), "gap {gap:?}");
    }
    let events = events.lock().expect("events");
    let retries: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Event::RetryScheduled { error, delay, .. } => Some((error.clone(), *delay)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2, "{events:?}");
    assert!(matches!(
        retries[0].0,
        AuthError::Server { status: 503, .. }
    ));
    assert!(matches!(
        retries[1].0,
        AuthError::Server { status: 500, .. }
    ));
    assert!(retries.iter().all(|(_, delay)| *delay >= BASE));
}

#[test]
fn failing_refreshes_never_block_callers_while_the_token_is_valid() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(3), Duration::from_secs(60)))
            .expect("emulator");
    let base = Duration::from_millis(150);
    let config = config_for(&server)
        .tune(|policy| {
            policy.backoff_base = base;
            policy.backoff_cap = base;
        })
        .build()
        .expect("config");
    let manager = BlockingTokenManager::new(config).expect("manager");
    let first = manager.token().expect("first").into_owned();
    server.set_persistent_fault(Target::Both, Some(Fault::server_error()));

    thread::sleep(first.refresh_at().saturating_duration_since(Instant::now()));
    let window_start = Instant::now();
    let mut slowest = Duration::ZERO;
    while Instant::now() + Duration::from_millis(30) < first.usable_until() {
        let started = Instant::now();
        let token = manager.token().expect("the current token");
        slowest = slowest.max(started.elapsed());
        assert_eq!(token.generation(), first.generation());
        drop(token);
        thread::sleep(Duration::from_millis(2));
    }
    let window = window_start.elapsed();
    let attempts = server.refresh_requests() + server.token_requests() - 1;
    assert!(
        slowest < Duration::from_millis(100),
        "a caller slept: {slowest:?}"
    );
    assert!(attempts >= 2, "it kept trying: {attempts}");
    let bound = (window.as_millis() / base.as_millis()) as usize + 2;
    assert!(attempts <= bound, "{attempts} attempts in {window:?}");

    // Once the token is gone, callers wait for the next success.
    server.set_persistent_fault(Target::Both, None);
    thread::sleep(
        first
            .usable_until()
            .saturating_duration_since(Instant::now()),
    );
    let second = manager.token().expect("a token once the server recovers");
    assert_eq!(second.generation().get(), 2);
}
