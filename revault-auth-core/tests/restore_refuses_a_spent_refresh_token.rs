//! Issue 9, defect 5: a snapshot whose refresh token this core already
//! spent never puts it back: sending it again would be a reuse the server
//! punishes.

mod common;

use std::time::Duration;

use common::{ready_harness, sent};
use revault_auth_core::Purpose;

#[test]
fn a_spent_refresh_token_is_not_restored() {
    let mut harness = ready_harness();
    let before_refresh = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    // The refresh leaves and its answer is lost: the token is spent.
    harness.push(revault_auth_core::testing::Reply::Drop);
    harness.run_until(Duration::from_secs(300), |h| h.core.in_flight().is_some());
    harness.advance(Duration::from_secs(11));
    assert!(harness.core.in_flight().is_none(), "timed out");
    // Only the refresh token is still usable in that snapshot.
    let mut snapshot = before_refresh;
    snapshot.access_usable_until_unix_ms = 0;
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
    let mut harness = ready_harness();
    let before_refresh = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    harness.push(revault_auth_core::testing::Reply::Drop);
    harness.run_until(Duration::from_secs(300), |h| h.core.in_flight().is_some());
    harness.advance(Duration::from_secs(11));
    assert!(harness.core.in_flight().is_none(), "timed out");
    let mut snapshot = before_refresh;
    snapshot.access_usable_until_unix_ms = 0;
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
