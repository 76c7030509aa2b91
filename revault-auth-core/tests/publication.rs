//! What drivers publish to readers: `token_version` changes exactly when
//! the served token does.

mod common;

use std::time::Duration;

use common::ready_harness;

#[test]
fn token_version_changes_with_the_served_token_only() {
    let mut harness = ready_harness();
    let first = harness.core.token_version();
    harness.advance(Duration::from_secs(100));
    assert_eq!(harness.core.token_version(), first, "nothing changed");
    harness.advance(Duration::from_secs(150));
    let refreshed = harness.core.token_version();
    assert_ne!(refreshed, first, "a refresh publishes");
    harness.suspend(Duration::from_secs(60));
    assert_ne!(
        harness.core.token_version(),
        refreshed,
        "a suspend moves deadlines"
    );
    let moved = harness.core.token_version();
    assert!(harness.reject_current_token());
    assert_ne!(
        harness.core.token_version(),
        moved,
        "a withdrawal publishes"
    );
}
