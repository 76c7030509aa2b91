//! `Policy::refresh_restored_ahead = false` (a one-shot process): a
//! restored token is served until its `usable_until` with no request, and
//! replaced only then; tokens the core obtains itself are still refreshed
//! ahead of expiry.

mod common;

use std::time::Duration;

use common::{builder, epoch, ready_harness, sent};
use revault_auth_core::testing::Harness;
use revault_auth_core::{Config, Purpose};

fn one_shot() -> Config {
    builder()
        .tune(|policy| policy.refresh_restored_ahead = false)
        .build()
        .expect("valid configuration")
}

/// A harness for `config` holding the token another core obtained (300 s
/// tokens: saved refresh point near 240 s, usable until 290 s).
fn restored(config: Config) -> Harness {
    let donor = ready_harness();
    let snapshot = donor
        .core
        .export(donor.now(), donor.wall())
        .expect("export");
    let mut harness = Harness::with_server(config, donor.server, epoch());
    assert!(
        harness
            .core
            .restore(snapshot, harness.now(), harness.wall())
    );
    harness
}

#[test]
fn a_restored_token_is_served_until_usable_until_without_a_request() {
    let mut harness = restored(one_shot());
    harness.advance(Duration::from_secs(285));
    assert!(
        sent(&harness, Purpose::Refresh).is_empty(),
        "refreshed at {:?}, before its usable deadline",
        sent(&harness, Purpose::Refresh)
    );
    assert!(harness.token().is_some(), "still served at 285 s");

    harness.advance(Duration::from_secs(10));
    let refreshes = sent(&harness, Purpose::Refresh);
    assert_eq!(
        refreshes.len(),
        1,
        "replaced once it ran out: {refreshes:?}"
    );
    assert!(refreshes[0] >= Duration::from_secs(285), "{refreshes:?}");
    assert_eq!(harness.expired_served, 0);
}

#[test]
fn tokens_obtained_afterwards_are_still_refreshed_ahead() {
    let mut harness = restored(one_shot());
    harness.advance(Duration::from_secs(295));
    let first = sent(&harness, Purpose::Refresh).len();
    // The refreshed token (300 s) is refreshed again near 80 % of its life,
    // long before its usable deadline.
    harness.advance(Duration::from_secs(260));
    assert_eq!(sent(&harness, Purpose::Refresh).len(), first + 1);
    assert!(harness.token().is_some());
}

#[test]
fn by_default_a_restored_token_is_refreshed_at_its_saved_refresh_point() {
    let mut harness = restored(common::config());
    harness.advance(Duration::from_secs(285));
    let refreshes = sent(&harness, Purpose::Refresh);
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    assert!(refreshes[0] < Duration::from_secs(250), "{refreshes:?}");
}
