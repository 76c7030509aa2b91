//! The API key is rotated while a login with the old key is in flight, and
//! the server has already revoked the old key. Its 401 belongs to the old
//! key: the core does not fail, and the next request goes out at once with
//! the new key.

mod common;

use std::time::Duration;

use common::{KEY_ID, KEY_ID_2, SECRET_2, config, epoch, purposes};
use revault_auth_core::testing::Harness;
use revault_auth_core::{Event, Purpose};

#[test]
fn a_401_to_the_old_key_in_flight_does_not_fail_the_core() {
    let mut harness = Harness::new(config(), epoch());
    harness.latency = Duration::from_secs(2);
    harness.server.add_key(KEY_ID_2, SECRET_2);
    harness.server.revoke_key(KEY_ID);
    harness.start();
    assert_eq!(
        harness.core.in_flight().map(|(_, p)| p),
        Some(Purpose::Authenticate)
    );
    harness.update_api_key(KEY_ID_2, SECRET_2);
    harness.advance(Duration::from_secs(5));

    assert_eq!(harness.core.failure(), None);
    assert_eq!(harness.unfounded_failures, 0);
    assert!(
        !harness
            .event_list()
            .iter()
            .any(|e| matches!(e, Event::Failed { .. }))
    );
    assert_eq!(
        purposes(&harness),
        [Purpose::Authenticate, Purpose::Authenticate]
    );
    // The second login left as soon as the first was refused.
    assert_eq!(
        harness.sent[1].0,
        harness.sent[0].0 + Duration::from_secs(2)
    );
    assert!(harness.token().is_some());
}
