//! A process that restored an access token (without a refresh token) and
//! then logs in with its API key for the first time reports
//! `Authenticated`, not a `Reauthenticated` with a made-up reason.

mod common;

use std::time::Duration;

use common::{config, epoch, ready_harness};
use revault_auth_core::Event;
use revault_auth_core::testing::Harness;

#[test]
fn the_first_login_after_a_restore_is_authenticated() {
    let donor = ready_harness();
    let mut snapshot = donor
        .core
        .export(donor.now(), donor.wall())
        .expect("export");
    snapshot.refresh_token = None;
    let mut harness = Harness::with_server(config(), donor.server, epoch());
    assert!(
        harness
            .core
            .restore(snapshot, harness.now(), harness.wall())
    );
    harness.advance(Duration::from_secs(300));
    let kinds: Vec<&Event> = harness
        .events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| !matches!(e, Event::RequestFinished { .. }))
        .collect();
    assert!(matches!(kinds[0], Event::Restored { .. }), "{kinds:?}");
    assert!(matches!(kinds[1], Event::Authenticated { .. }), "{kinds:?}");
    assert!(
        !kinds
            .iter()
            .any(|e| matches!(e, Event::Reauthenticated { .. }))
    );
}
