//! A restored token is refreshed ahead of its expiry like any other,
//! whether or not a caller asked for a token yet: it is never simply left
//! to expire.

mod common;

use std::time::Duration;

use common::{sent, snapshot_and_a_fresh_harness_on_its_server};
use revault_auth_core::{Event, Purpose};

#[test]
fn a_restored_token_is_refreshed_before_it_expires() {
    let (snapshot, mut harness) = snapshot_and_a_fresh_harness_on_its_server();
    // Nobody calls `start`: only the restore.
    assert!(
        harness
            .core
            .restore(snapshot, harness.now(), harness.wall())
    );
    harness.advance(Duration::from_secs(600));
    assert!(sent(&harness, Purpose::Refresh).len() >= 2);
    assert!(
        !harness
            .event_list()
            .iter()
            .any(|e| matches!(e, Event::Expired { .. }))
    );
    assert!(harness.token().is_some());
    assert_eq!(harness.expired_served, 0);
}
