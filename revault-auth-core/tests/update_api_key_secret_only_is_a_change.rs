//! Rotating only the API key secret (same id) is a change: the refusal of a
//! login still in flight with the old secret does not fail the core, and the
//! new secret goes out at once.

mod common;

use std::time::Duration;

use common::{KEY_ID, config, epoch, purposes};
use revault_auth_core::Purpose;
use revault_auth_core::testing::{Harness, Reply};

#[test]
fn a_new_secret_for_the_same_id_is_a_new_key() {
    const NEW_SECRET: &str = "core-test-secret-rotated-0c1f";
    let mut harness = Harness::new(config(), epoch());
    harness.latency = Duration::from_secs(2);
    harness.push(Reply::Status(401));
    harness.start();
    harness.server.add_key(KEY_ID, NEW_SECRET);
    harness.update_api_key(KEY_ID, NEW_SECRET);
    harness.advance(Duration::from_secs(5));
    assert_eq!(harness.core.failure(), None);
    assert_eq!(harness.unfounded_failures, 0);
    assert!(harness.token().is_some());
    assert_eq!(
        purposes(&harness),
        [Purpose::Authenticate, Purpose::Authenticate]
    );
    assert_eq!(harness.sent[1].0, Duration::from_secs(2));
}
