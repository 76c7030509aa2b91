//! `SavedTokens::access_usable_at` / `refresh_usable_at`, what a token
//! store asks of a snapshot before handing it out: a deadline is exclusive
//! (at the instant itself the token is no longer usable).

mod common;

use std::time::{Duration, SystemTime};

use common::ready_harness;

fn at_unix_ms(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

#[test]
fn the_access_token_is_usable_until_its_deadline_exclusive() {
    let harness = ready_harness();
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    let until = saved.access_usable_until_unix_ms;
    assert!(saved.access_usable_at(at_unix_ms(until - 1)));
    assert!(!saved.access_usable_at(at_unix_ms(until)));
}

#[test]
fn the_refresh_token_is_usable_until_its_deadline_exclusive() {
    let harness = ready_harness();
    let mut saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    let until = saved.refresh_usable_until_unix_ms;
    assert!(saved.refresh_usable_at(at_unix_ms(until - 1)));
    assert!(!saved.refresh_usable_at(at_unix_ms(until)));
    saved.refresh_token = None;
    assert!(
        !saved.refresh_usable_at(at_unix_ms(until - 1)),
        "no refresh token"
    );
}
