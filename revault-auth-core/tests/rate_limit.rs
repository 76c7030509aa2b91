//! Behaviour 7: 420/429/503 with `Retry-After` (seconds or HTTP-date): no
//! request before that time, capped, and at most a fifth of the wait later
//! (jitter, so a fleet does not come back at one instant).

mod common;

use std::time::Duration;

use common::{builder, config, epoch, secs};
use revault_auth_core::Event;
use revault_auth_core::testing::{Harness, Reply};

fn second_request_at(harness: &Harness) -> Duration {
    harness.sent[1].0
}

fn rate_limited(reply: Reply) -> Harness {
    let mut harness = Harness::new(config(), epoch());
    harness.push(reply);
    harness.start();
    harness.advance(Duration::from_secs(600));
    harness
}

#[test]
fn retry_after_seconds_is_honoured_for_420_429_and_503() {
    for status in [420, 429, 503] {
        let harness = rate_limited(Reply::RateLimited(status, Some("7".into())));
        let at = second_request_at(&harness);
        // 7 s after the answer, which took 20 ms, plus up to 1.4 s.
        assert!(at >= secs(7.02) && at <= secs(8.42), "{status}: {at:?}");
        assert!(
            harness.early_requests.is_empty(),
            "{:?}",
            harness.early_requests
        );
        assert!(harness
            .event_list()
            .iter()
            .any(|e| matches!(e, Event::RateLimited { status: s, delay } if *s == status && *delay == secs(7.0))));
        assert!(harness.token().is_some());
    }
}

#[test]
fn retry_after_http_date_is_honoured() {
    let mut harness = Harness::new(config(), epoch());
    let date = httpdate::fmt_http_date(harness.wall() + Duration::from_secs(9));
    harness.push(Reply::RateLimited(429, Some(date)));
    harness.start();
    harness.advance(Duration::from_secs(60));
    let at = second_request_at(&harness);
    assert!(at >= secs(8.9) && at <= secs(10.9), "{at:?}");
}

#[test]
fn retry_after_is_capped() {
    let config = builder()
        .tune(|p| p.retry_after_cap = Duration::from_secs(60))
        .build()
        .expect("valid");
    let mut harness = Harness::new(config, epoch());
    harness.push(Reply::RateLimited(429, Some("86400".into())));
    harness.start();
    harness.advance(Duration::from_secs(120));
    let at = second_request_at(&harness);
    assert!(at >= secs(60.0) && at <= secs(72.1), "{at:?}");
}

#[test]
fn rate_limit_without_retry_after_backs_off() {
    let harness = rate_limited(Reply::RateLimited(429, None));
    let at = second_request_at(&harness);
    assert!(at >= secs(0.27) && at <= secs(0.271), "{at:?}");
}

#[test]
fn plain_503_is_a_server_error() {
    let harness = rate_limited(Reply::Status(503));
    assert!(
        harness
            .event_list()
            .iter()
            .any(|e| matches!(e, Event::RetryScheduled { .. }))
    );
    // The first backoff: at least the 250 ms base after the answer (20 ms).
    let at = second_request_at(&harness);
    assert!(at >= secs(0.27) && at <= secs(0.271), "{at:?}");
}

#[test]
fn retry_after_zero_still_waits_the_backoff_base() {
    let harness = rate_limited(Reply::RateLimited(429, Some("0".into())));
    let at = second_request_at(&harness);
    assert!(at >= secs(0.27) && at <= secs(0.321), "{at:?}");
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
}
