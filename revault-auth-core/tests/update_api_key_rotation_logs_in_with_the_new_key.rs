//! Rotating the API key between requests: the token in hand is served to its
//! refresh point, then the new key logs in (the old key's refresh chain is
//! dropped), reported as a re-authentication for that reason.

mod common;

use std::time::Duration;

use common::{KEY_ID, KEY_ID_2, SECRET_2, purposes, ready_harness};
use revault_auth_core::{Event, Purpose, ReauthReason};

#[test]
fn a_rotation_logs_in_with_the_new_key_at_the_refresh_point() {
    let mut harness = ready_harness();
    let first = harness.token().expect("token").generation();
    harness.server.add_key(KEY_ID_2, SECRET_2);
    harness.update_api_key(KEY_ID_2, SECRET_2);
    harness.server.revoke_key(KEY_ID);
    assert_eq!(harness.token().expect("still served").generation(), first);
    assert_eq!(
        harness.sent.len(),
        1,
        "nothing sent before the refresh point"
    );
    harness.advance(Duration::from_secs(300));
    assert_eq!(
        purposes(&harness)[..2],
        [Purpose::Authenticate, Purpose::Authenticate]
    );
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::Reauthenticated {
            reason: ReauthReason::ApiKeyUpdated,
            ..
        }
    )));
    assert_eq!(harness.core.failure(), None);
    assert!(harness.token().is_some());
}
