//! A snapshot whose refresh token this core already spent never puts it
//! back: sending it again would be a reuse the server punishes.

mod common;

use std::time::Duration;

use common::{ready_harness, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Purpose, SavedTokens};

/// A core that sent a refresh whose answer was lost (so the refresh token
/// is spent), and a snapshot taken before, in which only that refresh
/// token is still usable.
fn spent_after_snapshot() -> (Harness, SavedTokens) {
    let mut harness = ready_harness();
    let mut before_refresh = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    harness.push(Reply::Drop);
    harness.run_until(Duration::from_secs(300), |h| h.core.in_flight().is_some());
    harness.advance(Duration::from_secs(11));
    assert!(harness.core.in_flight().is_none(), "timed out");
    before_refresh.access_usable_until_unix_ms = 0;
    (harness, before_refresh)
}

#[test]
fn a_spent_refresh_token_is_not_restored() {
    let (mut harness, snapshot) = spent_after_snapshot();
    assert!(
        !harness
            .core
            .restore(snapshot, harness.now(), harness.wall())
    );
    harness.advance(Duration::from_secs(60));
    assert_eq!(sent(&harness, Purpose::Refresh).len(), 1);
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
    assert!(harness.token().is_some());
}

/// The same, with the snapshot marked newer than anything the core holds
/// (as a store re-saving it would): the version check does not let it in.
#[test]
fn a_spent_refresh_token_is_not_restored_even_from_a_newer_snapshot() {
    let (mut harness, mut snapshot) = spent_after_snapshot();
    snapshot.version = 1 << 40;
    assert!(
        !harness
            .core
            .restore(snapshot, harness.now(), harness.wall()),
        "a spent refresh token came back"
    );
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
}
