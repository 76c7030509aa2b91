//! A host whose clock is behind (booted before NTP) must not restore a
//! snapshot saved later than its own "now": its deadlines, read on the
//! late clock, look far away although the tokens may have expired long
//! ago. Refused beyond the same minute of clock slack the lifetime bound
//! allows. Oracle: the fresh core logs in at the server instead.

mod common;

use std::time::{Duration, SystemTime};

use common::{ready_harness, ready_snapshot, sent};
use revault_auth_core::testing::Harness;
use revault_auth_core::{Purpose, SavedTokens};

/// Restores `saved` on a host whose wall clock is `behind` the true one.
fn restored_on_a_late_clock(saved: SavedTokens, behind: Duration) -> (bool, Harness) {
    common::restored_then_run(saved, behind)
}

#[test]
fn a_snapshot_saved_an_hour_after_now_is_refused() {
    let (restored, harness) = restored_on_a_late_clock(ready_snapshot(), Duration::from_secs(3600));
    assert!(!restored);
    assert_eq!(sent(&harness, Purpose::Authenticate).len(), 1);
}

#[test]
fn half_a_minute_of_clock_difference_is_tolerated() {
    let (restored, harness) = restored_on_a_late_clock(ready_snapshot(), Duration::from_secs(30));
    assert!(restored);
    assert!(sent(&harness, Purpose::Authenticate).is_empty());
}

#[test]
fn export_records_when_it_was_saved() {
    let harness = ready_harness();
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    let wall_ms = harness
        .wall()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    assert_eq!(u128::from(saved.saved_at_unix_ms), wall_ms);
}

#[test]
fn a_snapshot_without_a_save_time_is_still_restored() {
    let mut json = serde_json::to_value(ready_snapshot()).expect("serialize");
    json.as_object_mut()
        .expect("an object")
        .remove("saved_at_unix_ms")
        .expect("the field is written");
    let saved: SavedTokens = serde_json::from_value(json).expect("the older shape reads");
    assert_eq!(saved.saved_at_unix_ms, 0);
    let (restored, _) = restored_on_a_late_clock(saved, Duration::ZERO);
    assert!(restored);
}
