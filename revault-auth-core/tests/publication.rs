//! What drivers publish to readers: `token_version` changes exactly when
//! the served token does, and a published token tells its readers when the
//! machine slept since it was published.

mod common;

use std::time::Duration;

use common::ready_harness;
use revault_auth_core::PublishedToken;

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

#[test]
fn published_token_notices_a_suspend_on_its_own() {
    let harness = ready_harness();
    let (now, wall) = (harness.now(), harness.wall());
    let published = PublishedToken::new(harness.token().expect("token"), now, wall);
    let tolerance = Duration::from_secs(2);
    let later = Duration::from_secs(30);
    assert!(published.usable(now + later, wall + later, tolerance));
    assert!(published.slept(now + later, wall + later * 3, tolerance));
    assert!(!published.usable(now + later, wall + later * 3, tolerance));
    assert!(
        !published.slept(now + later, wall, tolerance),
        "a wall clock stepping back is no sleep"
    );
    assert!(!published.usable(
        now + Duration::from_secs(295),
        wall + Duration::from_secs(295),
        tolerance
    ));
}
