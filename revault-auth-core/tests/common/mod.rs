//! Shared by the core's scenario tests: one epoch, one configuration with
//! distinctive secrets, and small helpers over the harness.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use revault_auth_core::testing::Harness;
use revault_auth_core::{
    ApiKeySecret, AuthError, Config, ConfigBuilder, Event, Purpose, SavedTokens,
};

pub const API_URL: &str = "https://revault.test/v1/rest";
pub const WORKSPACE: &str = "core-test-workspace";
pub const KEY_ID: &str = "core-test-key-id";
/// Distinctive, so secret-hygiene checks can search for it.
pub const SECRET: &str = "core-test-secret-5b8e21f0";

/// Virtual time starts here; the only clock read of these tests.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

pub fn builder() -> ConfigBuilder {
    Config::builder(API_URL, WORKSPACE, KEY_ID, ApiKeySecret::new(SECRET))
}

pub fn config() -> Config {
    builder().build().expect("valid test configuration")
}

/// A harness with the default 300 s / 1800 s server, already started and
/// holding its first token.
pub fn ready_harness() -> Harness {
    let mut harness = Harness::new(config(), epoch());
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert!(harness.token().is_some(), "first token obtained");
    harness
}

pub fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

/// Send times of the requests with this purpose.
pub fn sent(harness: &Harness, purpose: Purpose) -> Vec<Duration> {
    harness
        .sent
        .iter()
        .filter(|(_, p)| *p == purpose)
        .map(|(at, _)| *at)
        .collect()
}

pub fn count(harness: &Harness, matches: impl Fn(&Event) -> bool) -> usize {
    harness.events.iter().filter(|(_, e)| matches(e)).count()
}

/// A second API key, for rotations.
pub const KEY_ID_2: &str = "core-test-key-id-2";
pub const SECRET_2: &str = "core-test-secret-2-77c1d9a4";

/// Purposes of the requests sent, in order.
pub fn purposes(harness: &Harness) -> Vec<Purpose> {
    harness.sent.iter().map(|(_, p)| *p).collect()
}

/// A harness whose core draws its jitter from `entropy` (what a driver
/// hands it from the operating system) unless the policy sets a seed.
pub fn seeded_harness(config: Config, entropy: u64) -> Harness {
    let mut harness = Harness::new(config.clone(), epoch());
    harness.core = revault_auth_core::AuthCore::new_seeded(config, harness.now(), entropy);
    harness
}

/// Each wait between consecutive send times (less the 20 ms answer
/// latency) lies between the scheduled wait and a fifth more: the slow
/// schedule after a refusal, with its jitter.
pub fn assert_waits_with_jitter(times: &[Duration], waits: &[f64]) {
    assert!(times.len() > waits.len(), "{times:?}");
    for (pair, wait) in times.windows(2).zip(waits) {
        let waited = (pair[1] - pair[0]).as_secs_f64() - 0.02;
        assert!(
            waited >= *wait - 1e-6 && waited <= wait * 1.2 + 1e-6,
            "waited {waited} s for a {wait} s wait: {times:?}"
        );
    }
}

/// Starts `harness`, runs it for `run`, checks no request left before its
/// time, and returns when the second request left, less the 20 ms the first
/// answer took to arrive.
pub fn second_request_after_the_first_answer(mut harness: Harness, run: Duration) -> Duration {
    harness.start();
    harness.advance(run);
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
    harness.sent[1].0 - secs(0.02)
}

/// Starts `harness`, lets 100 ms pass and returns the error callers get at
/// once.
pub fn failure_at_once(harness: &mut Harness) -> AuthError {
    harness.start();
    harness.advance(Duration::from_millis(100));
    harness
        .core
        .failure()
        .expect("callers fail at once")
        .clone()
}

/// What a ready core saves.
pub fn ready_snapshot() -> SavedTokens {
    let harness = ready_harness();
    harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export")
}

/// A ready core's snapshot, and a fresh harness on the same server (which
/// knows the snapshot's refresh token).
pub fn snapshot_and_a_fresh_harness_on_its_server() -> (SavedTokens, Harness) {
    let donor = ready_harness();
    let snapshot = donor
        .core
        .export(donor.now(), donor.wall())
        .expect("export");
    (
        snapshot,
        Harness::with_server(config(), donor.server, epoch()),
    )
}

/// Restores `saved` on a fresh core whose wall clock is `behind` the true
/// one, then starts it and runs it for half a second.
pub fn restored_then_run(saved: SavedTokens, behind: Duration) -> (bool, Harness) {
    let mut harness = Harness::new(config(), epoch());
    let wall = harness.wall() - behind;
    let restored = harness.core.restore(saved, harness.now(), wall);
    harness.start();
    harness.advance(Duration::from_millis(500));
    (restored, harness)
}
