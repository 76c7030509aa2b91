//! A snapshot older than what the core holds is refused: one with a lower
//! store version, or one whose access token expires no later than the token
//! the core already serves.

mod common;

use std::time::Duration;

use common::ready_harness;

#[test]
fn an_older_snapshot_is_refused() {
    let mut harness = ready_harness();
    let old = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    harness.core.mark_saved(7);
    // The core refreshes: it now holds a newer token than `old`.
    harness.advance(Duration::from_secs(250));
    let held = harness.token().expect("token").generation();
    assert!(held.get() > 1);
    let held_secret = harness
        .token()
        .expect("token")
        .secret()
        .expose_secret()
        .to_owned();

    let mut stale = old.clone();
    stale.version = 8;
    assert!(
        !harness.core.restore(stale, harness.now(), harness.wall()),
        "an access token older than the one held"
    );
    let mut newer_but_lower_version = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    newer_but_lower_version.version = 6;
    newer_but_lower_version.access_expires_at_unix_ms += 60_000;
    assert!(
        !harness
            .core
            .restore(newer_but_lower_version, harness.now(), harness.wall()),
        "a lower store version"
    );
    let token = harness.token().expect("still served");
    assert_eq!(token.generation(), held);
    assert_eq!(token.secret().expose_secret(), held_secret);
}

#[test]
fn a_newer_snapshot_of_the_same_version_is_taken() {
    let mut harness = ready_harness();
    harness.core.mark_saved(7);
    let mut newer = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    assert_eq!(newer.version, 7);
    // Another process's token, with a later expiry, same store version.
    newer.access_token = revault_auth_core::AccessTokenSecret::new("tok-access-other");
    newer.access_expires_at_unix_ms += 1;
    assert!(harness.core.restore(newer, harness.now(), harness.wall()));
    assert_eq!(
        harness.token().expect("restored").secret().expose_secret(),
        "tok-access-other"
    );
}
