//! The token store's version the core last saved or restored belongs to one
//! API key id's session: a new secret for the same id keeps it (and the
//! tokens stay saved), another id clears it (and the tokens held are not
//! the new key's to save).

mod common;

use std::time::Duration;

use common::{KEY_ID, config, epoch};
use revault_auth_core::testing::Harness;

const NEW_SECRET: &str = "core-test-secret-rotated-7d21";

#[test]
fn a_new_secret_keeps_the_saved_version_and_another_id_clears_it() {
    let mut harness = Harness::new(config(), epoch());
    harness.start();
    harness.advance(Duration::from_secs(1));
    assert!(harness.token().is_some());
    harness.core.mark_saved(7);

    harness.server.add_key(KEY_ID, NEW_SECRET);
    harness.update_api_key(KEY_ID, NEW_SECRET);
    assert_eq!(harness.core.saved_version(), Some(7), "same id");

    harness.server.add_key("core-test-key-id-2", NEW_SECRET);
    harness.update_api_key("core-test-key-id-2", NEW_SECRET);
    assert_eq!(harness.core.saved_version(), None, "another id");
    assert!(
        !harness.core.unsaved(),
        "the old key's tokens are not saved as the new key's"
    );
}
