//! Behaviour 9: "revault-api answered 401 to generation G" drops G only if it
//! is current; fifty such reports for one token cause one refresh.

mod common;

use std::time::Duration;

use common::{ready_harness, sent};
use revault_auth_core::{Event, ExpiryCause, Purpose};

#[test]
fn fifty_reports_for_one_token_cause_one_refresh() {
    let mut harness = ready_harness();
    let generation = harness.token().expect("token").generation();
    let now = harness.now();
    let dropped: Vec<bool> = (0..50)
        .map(|_| harness.core.handle_rejected(generation, now))
        .collect();
    assert_eq!(dropped.iter().filter(|d| **d).count(), 1);
    harness.pump();
    harness.advance(Duration::from_secs(1));
    assert_eq!(sent(&harness, Purpose::Refresh).len(), 1);
    let new = harness.token().expect("new token").generation();
    assert!(new > generation);
    assert!(harness.event_list().contains(&Event::Expired {
        generation,
        cause: ExpiryCause::Rejected
    }));
    // Late reports about the old token change nothing.
    let now = harness.now();
    assert!(!harness.core.handle_rejected(generation, now));
    assert_eq!(harness.token().map(|t| t.generation()), Some(new));
}

#[test]
fn a_report_while_the_refresh_is_in_flight_causes_no_second_request() {
    let mut harness = ready_harness();
    harness.latency = Duration::from_secs(2);
    let refreshing = harness.run_until(Duration::from_secs(300), |h| h.core.in_flight().is_some());
    assert!(refreshing, "refresh in flight");
    assert!(harness.reject_current_token());
    harness.advance(Duration::from_secs(3));
    assert_eq!(sent(&harness, Purpose::Refresh).len(), 1);
    assert!(harness.token().is_some());
}

#[test]
fn tokens_rejected_back_to_back_are_fetched_with_backoff() {
    let mut harness = ready_harness();
    let mut gaps = Vec::new();
    for _ in 0..8 {
        let before = harness.sent.len();
        assert!(harness.reject_current_token());
        let started = harness.elapsed();
        assert!(harness.run_until(Duration::from_secs(60), |h| h.token().is_some()));
        assert_eq!(harness.sent.len(), before + 1, "one request per rejection");
        gaps.push(harness.sent[before].0 - started);
    }
    assert!(
        gaps[0] < Duration::from_millis(1),
        "the first rejection is refreshed at once"
    );
    for (n, gap) in gaps.iter().enumerate().skip(1) {
        let ceiling = Duration::from_millis(250 << (n - 1).min(10)).min(Duration::from_secs(30));
        assert!(
            *gap >= Duration::from_millis(250) && *gap <= ceiling,
            "{n}: {gap:?}"
        );
    }
    assert!(harness.events.iter().any(|(_, e)| matches!(
        e,
        Event::RetryScheduled {
            error: revault_auth_core::AuthError::TokensRejected { in_a_row: 8 },
            ..
        }
    )));
    // A token that lives to its refresh point resets the count.
    harness.advance(Duration::from_secs(300));
    let before = harness.sent.len();
    assert!(harness.reject_current_token());
    harness.advance(Duration::from_millis(100));
    assert_eq!(harness.sent.len(), before + 1, "refreshed at once again");
}
