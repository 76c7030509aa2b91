//! A planted snapshot whose deadlines reach beyond anything revault-api can
//! issue (`Policy::max_lifetime`) is refused, so a token "usable for 300
//! days" is never served. Oracle: the fresh core logs in at the server
//! instead of serving the planted token.

mod common;

use std::time::Duration;

use common::{config, epoch, ready_snapshot, sent};
use revault_auth_core::testing::Harness;
use revault_auth_core::{Purpose, SavedTokens};

const DAY_MS: u64 = 24 * 3600 * 1000;

/// Restores `saved` on a fresh core whose clock agrees with the saver's.
fn restored_then_run(saved: SavedTokens) -> (bool, Harness) {
    common::restored_then_run(saved, Duration::ZERO)
}

#[test]
fn an_honest_snapshot_is_restored_without_a_login() {
    let (restored, harness) = restored_then_run(ready_snapshot());
    assert!(restored);
    assert!(sent(&harness, Purpose::Authenticate).is_empty());
}

#[test]
fn an_access_token_usable_for_300_days_is_refused() {
    let mut planted = ready_snapshot();
    let far = planted.access_usable_until_unix_ms + 300 * DAY_MS;
    planted.access_usable_until_unix_ms = far;
    planted.access_expires_at_unix_ms = far;
    let (restored, harness) = restored_then_run(planted);
    assert!(!restored);
    assert_eq!(sent(&harness, Purpose::Authenticate).len(), 1);
    // The token served is the server's, with the server's lifetime.
    let served = harness.token().expect("a token from the server");
    let max_lifetime = harness.core.config().policy().max_lifetime;
    assert!(served.usable_until() <= harness.now() + max_lifetime);
}

#[test]
fn a_refresh_token_usable_for_300_days_is_refused() {
    let mut planted = ready_snapshot();
    planted.access_usable_until_unix_ms = 0;
    planted.refresh_usable_until_unix_ms += 300 * DAY_MS;
    let (restored, harness) = restored_then_run(planted);
    assert!(!restored);
    assert!(sent(&harness, Purpose::Refresh).is_empty());
    assert_eq!(sent(&harness, Purpose::Authenticate).len(), 1);
}

/// The bound is `max_lifetime` plus a minute of clock slack between the
/// saving and the restoring process: inside it is restored, past it not.
#[test]
fn the_bound_includes_one_minute_of_clock_slack() {
    let honest = ready_snapshot();
    let wall_ms = |harness: &Harness| {
        u64::try_from(
            harness
                .wall()
                .duration_since(std::time::SystemTime::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis(),
        )
        .expect("fits")
    };
    let probe = Harness::new(config(), epoch());
    let max_lifetime_ms =
        u64::try_from(probe.core.config().policy().max_lifetime.as_millis()).expect("fits");
    let base = wall_ms(&probe);
    for (beyond_max_s, restorable) in [(30, true), (90, false)] {
        let mut planted = honest.clone();
        planted.refresh_usable_until_unix_ms = base + max_lifetime_ms + beyond_max_s * 1000;
        let (restored, _) = restored_then_run(planted);
        assert_eq!(restored, restorable, "{beyond_max_s} s past max_lifetime");
    }
}
