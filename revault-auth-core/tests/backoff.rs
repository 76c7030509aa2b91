//! Behaviour 6: 5xx, timeouts, transport errors and invalid 200 bodies lead
//! to capped exponential backoff with seeded jitter; meanwhile a valid token
//! keeps being served, and a failed early refresh never evicts it.

mod common;

use std::time::Duration;

use common::{builder, epoch, ready_harness, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthError, Event, TransportErrorKind};

fn retry_delays(harness: &Harness) -> Vec<(AuthError, Duration)> {
    harness
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::RetryScheduled { error, delay, .. } => Some((error.clone(), *delay)),
            _ => None,
        })
        .collect()
}

#[test]
fn transient_failures_back_off_exponentially_up_to_the_cap() {
    let config = builder()
        .tune(|p| {
            p.backoff_base = Duration::from_millis(100);
            p.backoff_cap = Duration::from_secs(5);
        })
        .build()
        .expect("valid");
    let mut harness = Harness::new(config, epoch());
    for _ in 0..12 {
        harness.push(Reply::Status(503));
    }
    harness.start();
    harness.advance(Duration::from_secs(120));
    let delays = retry_delays(&harness);
    assert_eq!(delays.len(), 12);
    for (attempt, (error, delay)) in delays.iter().enumerate() {
        assert!(matches!(error, AuthError::Server { status: 503, .. }));
        let ceiling = Duration::from_millis(100 << attempt.min(10)).min(secs(5.0));
        assert!(
            *delay >= secs(0.1) && *delay <= ceiling,
            "{attempt}: {delay:?}"
        );
    }
    assert!(delays.iter().skip(8).all(|(_, d)| *d <= secs(5.0)));
    assert!(harness.token().is_some(), "recovers once the outage ends");
}

#[test]
fn every_transient_class_is_retried() {
    let replies = [
        Reply::Status(500),
        Reply::Status(502),
        Reply::Drop,
        Reply::Transport(TransportErrorKind::Connect),
        Reply::Raw(200, b"<html>maintenance</html>".to_vec()),
        Reply::Raw(200, br#"{"accessToken":"a"}"#.to_vec()),
        Reply::Lifetimes(-1.0, 1800.0),
        // A proxy's page, not the spec's error body: nothing says our
        // request is wrong.
        Reply::Raw(400, b"<html>bad request</html>".to_vec()),
    ];
    let mut harness = Harness::new(common::config(), epoch());
    for reply in replies.iter().cloned() {
        harness.push(reply);
    }
    harness.start();
    harness.advance(Duration::from_secs(300));
    assert_eq!(retry_delays(&harness).len(), replies.len());
    assert!(harness.core.failure().is_none());
    assert!(harness.token().is_some());
    // What the server saw: after each failure, at least the backoff base
    // (250 ms) passed before the next request; more after the silent one.
    let base = Duration::from_millis(250);
    let times: Vec<Duration> = harness.sent.iter().map(|(at, _)| *at).collect();
    let times = &times[..=replies.len()];
    for (index, pair) in times.windows(2).enumerate() {
        let floor = match replies[index] {
            Reply::Drop => Duration::from_secs(10) + base,
            _ => harness.latency + base,
        };
        assert!(pair[1] - pair[0] >= floor, "request {index}: {times:?}");
    }
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
}

#[test]
fn valid_token_is_served_throughout_an_outage() {
    let mut harness = ready_harness();
    let first = harness.token().map(|t| t.generation());
    for _ in 0..1000 {
        harness.push(Reply::Status(500));
    }
    for _ in 0..280 {
        harness.advance(Duration::from_secs(1));
        if harness.elapsed() < secs(289.0) {
            assert_eq!(harness.token().map(|t| t.generation()), first);
        }
    }
    assert!(harness.server.stats().token_requests > 1, "kept retrying");
}

#[test]
fn failed_early_refresh_keeps_the_good_token() {
    let mut harness = ready_harness();
    let token = harness.token().map(|t| t.generation());
    harness.push(Reply::Status(500));
    harness.advance(Duration::from_secs(241));
    assert!(retry_delays(&harness).len() == 1);
    assert!(harness.token().is_some());
    // The retry then succeeds with a new token.
    harness.advance(Duration::from_secs(5));
    assert_ne!(harness.token().map(|t| t.generation()), token);
}

#[test]
fn outage_request_rate_is_bounded_by_the_backoff_base() {
    let mut harness = ready_harness();
    for _ in 0..100_000 {
        harness.push(Reply::Status(500));
    }
    harness.advance(Duration::from_secs(3600));
    let requests = harness.sent.len() as f64;
    // The default base is 250 ms and the cap 30 s: at most 4 per second,
    // and in practice about one per 15 s once the window is at the cap.
    assert!(requests < 3600.0 * 4.0);
    assert!(requests < 3600.0 / 10.0, "{requests} requests in an hour");
}
