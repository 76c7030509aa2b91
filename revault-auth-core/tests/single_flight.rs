//! Behaviour 2: never more than one request in flight; the newest refresh
//! token is the one used and a spent one is never sent again.

mod common;

use std::time::Duration;

use common::{count, ready_harness, secs, sent};
use revault_auth_core::testing::Reply;
use revault_auth_core::{Event, Purpose, ReauthReason, TransportErrorKind};

#[test]
fn never_two_requests_in_flight() {
    let mut harness = ready_harness();
    harness.latency = secs(4.0);
    let now = harness.now();
    harness.core.start(now);
    harness.advance(Duration::from_secs(3 * 3600));
    assert_eq!(harness.overlapping_requests, 0);
    // Slow answers: each request is answered before the next leaves.
    let times: Vec<_> = harness.sent.iter().map(|(at, _)| *at).collect();
    for pair in times.windows(2) {
        assert!(pair[1] >= pair[0] + secs(4.0), "{pair:?}");
    }
}

#[test]
fn rotation_uses_the_newest_refresh_token_every_time() {
    let mut harness = ready_harness();
    harness.advance(Duration::from_secs(3600));
    let refreshed = count(&harness, |e| matches!(e, Event::Refreshed { .. }));
    assert!(
        refreshed >= 14,
        "about one refresh per 4 minutes, got {refreshed}"
    );
    assert_eq!(
        sent(&harness, Purpose::Authenticate).len(),
        1,
        "no fallback needed"
    );
    let stats = harness.server.stats();
    assert_eq!(stats.spent_refresh_reuse, 0);
    assert_eq!(stats.refresh_requests as usize, refreshed);
}

#[test]
fn refresh_without_answer_spends_its_token_and_falls_back_to_the_api_key() {
    let mut harness = ready_harness();
    harness.push(Reply::Transport(TransportErrorKind::Io));
    harness.advance(Duration::from_secs(300));
    let purposes: Vec<_> = harness.sent.iter().map(|(_, p)| *p).collect();
    assert_eq!(
        &purposes[..3],
        &[
            Purpose::Authenticate,
            Purpose::Refresh,
            Purpose::Authenticate
        ]
    );
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
    let reason = harness.events.iter().find_map(|(_, e)| match e {
        Event::Reauthenticated { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(reason, Some(ReauthReason::RefreshTokenSpent));
}

#[test]
fn never_two_requests_outstanding_with_faults_injected() {
    let mut harness = ready_harness();
    harness.latency = secs(3.0);
    // The harness's own list of requests outstanding is the judge, not
    // `in_flight()`: lost answers, transport failures, 5xx, rate limits,
    // rejected refreshes and late answers to timed-out requests.
    for round in 0..40u32 {
        match round % 6 {
            0 => harness.push(Reply::Drop),
            1 => harness.push(Reply::Transport(TransportErrorKind::Connect)),
            2 => harness.push(Reply::Status(502)),
            3 => harness.push(Reply::RateLimited(429, Some("2".into()))),
            4 => harness.server.reject_refreshes(1),
            _ => harness.push(Reply::Normal),
        }
        harness.advance(Duration::from_secs(120));
        let now = harness.now();
        harness.core.start(now);
        if round % 4 == 0 {
            harness.reject_current_token();
        }
    }
    assert_eq!(harness.overlapping_requests, 0);
    assert!(harness.sent.len() >= 50, "{} requests", harness.sent.len());
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
    assert_eq!(harness.stalls, 0);
}
