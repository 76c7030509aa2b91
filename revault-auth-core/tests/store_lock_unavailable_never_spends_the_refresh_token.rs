//! A driver that could not take the token store's update lock tells the
//! core so: another process may hold the refresh token this core holds and
//! spend it. The core then never sends that refresh token; it starts a
//! session of its own with the API key, and keeps serving its access token
//! until then. Oracle: what the scripted server saw.

mod common;

use std::time::Duration;

use common::{count, ready_harness, sent};
use revault_auth_core::{Event, Purpose, ReauthReason};

#[test]
fn after_a_lock_timeout_the_next_request_is_a_login_not_that_refresh() {
    let mut harness = ready_harness();
    let token = harness.token().expect("a token").clone();
    // The driver tried to take the lock ahead of the refresh point, and
    // gave up after its deadline.
    harness.advance(token.refresh_at() - harness.now() - Duration::from_secs(1));
    harness.store_lock_unavailable();
    assert!(
        harness.token().is_some(),
        "the access token is still served"
    );
    assert_eq!(
        harness.server.stats().token_requests,
        1,
        "nothing sent early"
    );

    harness.advance(Duration::from_secs(30));
    let stats = harness.server.stats();
    assert_eq!(
        stats.refresh_requests, 0,
        "the shared refresh token was sent"
    );
    assert_eq!(stats.token_requests, 2);
    assert!(sent(&harness, Purpose::Refresh).is_empty());
    assert_eq!(
        count(&harness, |e| matches!(
            e,
            Event::Reauthenticated {
                reason: ReauthReason::StoreLockUnavailable,
                ..
            }
        )),
        1
    );
    assert!(harness.token().is_some());
    assert_eq!(harness.expired_served, 0);

    // The new session's own refresh token is refreshed as usual.
    harness.advance(Duration::from_secs(300));
    assert_eq!(harness.server.stats().refresh_requests, 1);
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
    assert_eq!(harness.given_up_sent, 0);
}

#[test]
fn a_lock_timeout_past_the_refresh_point_logs_in_at_once() {
    let mut harness = ready_harness();
    let refresh_at = harness.token().expect("a token").refresh_at();
    // The core has just sent its refresh... unless the driver first asked
    // for the lock and waited: drive the core by hand to the refresh point.
    let now = refresh_at + Duration::from_secs(5);
    harness.core.handle_store_lock_unavailable(now);
    let transmit = harness.core.poll_transmit(now).expect("a request is due");
    assert_eq!(transmit.purpose, Purpose::Authenticate);
}

#[test]
fn a_lock_timeout_without_a_refresh_token_changes_nothing() {
    let mut harness = common::seeded_harness(common::config(), 3);
    harness.core.handle_store_lock_unavailable(harness.now());
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert!(harness.token().is_some());
    assert_eq!(
        count(&harness, |e| matches!(e, Event::Authenticated { .. })),
        1,
        "a first login stays a first login"
    );
}
