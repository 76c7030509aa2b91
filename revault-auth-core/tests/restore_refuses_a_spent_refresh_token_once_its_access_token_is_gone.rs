//! The core's record of the refresh tokens it spent (or gave up) is what
//! keeps a snapshot from bringing one back once the core no longer holds
//! the access token saved beside it: no other guard of `restore` applies
//! then (nothing in flight, no access token to compare with). Oracle: what
//! the scripted server saw.

mod common;

use std::time::Duration;

use common::{ready_harness, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Purpose, SavedTokens};

/// A ready core's snapshot, and the core after its access token was
/// reported rejected while no request is in flight (`setup` runs first).
fn rejected_after(setup: impl FnOnce(&mut Harness)) -> (Harness, SavedTokens) {
    let mut harness = ready_harness();
    let mut snapshot = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    setup(&mut harness);
    // The next login gets no answer: the core waits, with no request in
    // flight once its own timeout fired, and no access token.
    harness.push(Reply::Drop);
    assert!(harness.reject_current_token(), "the token was current");
    // Past the login's 10 s timeout, inside the backoff after it.
    harness.advance(Duration::from_millis(10_100));
    assert!(harness.core.in_flight().is_none() && harness.token().is_none());
    // Only the refresh token in it is still usable.
    snapshot.access_usable_until_unix_ms = 0;
    (harness, snapshot)
}

#[test]
fn a_refresh_token_lost_in_flight_is_not_restored_after_a_401() {
    let (mut harness, snapshot) = rejected_after(|harness| {
        harness.push(Reply::Drop);
        harness.run_until(Duration::from_secs(300), |h| h.core.in_flight().is_some());
        harness.advance(Duration::from_secs(11));
        assert_eq!(sent(harness, Purpose::Refresh).len(), 1);
    });
    assert!(
        !harness.restore(snapshot),
        "a spent refresh token came back"
    );
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
    assert!(harness.token().is_some());
}

#[test]
fn a_refresh_token_given_up_after_a_lock_timeout_is_not_restored() {
    let (mut harness, snapshot) = rejected_after(|harness| {
        let now = harness.now();
        harness.core.handle_store_lock_unavailable(now);
    });
    assert!(
        !harness.restore(snapshot),
        "the given-up refresh token came back"
    );
    harness.advance(Duration::from_secs(60));
    assert!(sent(&harness, Purpose::Refresh).is_empty());
    assert!(harness.token().is_some());
}
