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
