//! The API key is rotated while a refresh of the old key's chain is in
//! flight. The access token it brings is served, but the old chain does not
//! come back: the next token comes from the new key.

mod common;

use std::time::Duration;

use common::{KEY_ID, KEY_ID_2, SECRET_2, purposes, ready_harness};
use revault_auth_core::{Event, Purpose, ReauthReason};

#[test]
fn a_refresh_in_flight_does_not_put_the_old_chain_back() {
    let mut harness = ready_harness();
    harness.latency = Duration::from_secs(2);
    harness.server.add_key(KEY_ID_2, SECRET_2);
    harness.run_until(Duration::from_secs(300), |h| h.core.in_flight().is_some());
    assert_eq!(
        harness.core.in_flight().map(|(_, p)| p),
        Some(Purpose::Refresh)
    );
    harness.update_api_key(KEY_ID_2, SECRET_2);
    harness.server.revoke_key(KEY_ID);
    harness.advance(Duration::from_secs(3));
    assert!(
        harness
            .event_list()
            .iter()
            .any(|e| matches!(e, Event::Refreshed { .. }))
    );
    let refreshed = harness
        .token()
        .expect("the refreshed token is served")
        .generation();

    harness.advance(Duration::from_secs(300));
    assert_eq!(
        purposes(&harness)[..3],
        [
            Purpose::Authenticate,
            Purpose::Refresh,
            Purpose::Authenticate
        ]
    );
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::Reauthenticated {
            reason: ReauthReason::ApiKeyUpdated,
            ..
        }
    )));
    assert!(harness.token().expect("token").generation() > refreshed);
    assert_eq!(harness.core.failure(), None);
    assert_eq!(harness.server.stats().spent_refresh_reuse, 0);
}
