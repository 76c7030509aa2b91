//! Managers built the ordinary way (default policy, no seed) draw their
//! jitter from the seed their driver hands the core, so a fleet does not
//! refresh or back off in lockstep; a seed set in the policy still gives a
//! reproducible schedule. Oracle: when the scripted server saw each request.

mod common;

use std::time::Duration;

use common::{builder, config, seeded_harness, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Policy, Purpose};

/// The send times of a manager's first token, its first refresh, and the
/// retries after five server errors in a row.
fn schedule(mut harness: Harness) -> Vec<Duration> {
    harness.start();
    harness.advance(Duration::from_secs(250));
    for _ in 0..5 {
        harness.push(Reply::Status(500));
    }
    harness.advance(Duration::from_secs(300));
    harness.sent.iter().map(|(at, _)| *at).collect()
}

#[test]
fn the_default_policy_sets_no_seed() {
    assert_eq!(Policy::default().seed, None);
}

#[test]
fn managers_with_different_seeds_draw_different_refresh_points() {
    let first_refresh = |entropy: u64| {
        let mut harness = seeded_harness(config(), entropy);
        harness.start();
        harness.advance(Duration::from_secs(250));
        sent(&harness, Purpose::Refresh)[0]
    };
    let distinct: std::collections::HashSet<_> = (1..=8).map(first_refresh).collect();
    assert_eq!(distinct.len(), 8, "{distinct:?}");
}

#[test]
fn managers_with_different_seeds_back_off_differently() {
    let retries = |entropy: u64| {
        let mut harness = seeded_harness(config(), entropy);
        for _ in 0..4 {
            harness.push(Reply::Status(500));
        }
        harness.start();
        harness.advance(Duration::from_secs(60));
        // The first try and four retries, then the token.
        let times: Vec<Duration> = harness.sent.iter().map(|(at, _)| *at).collect();
        assert_eq!(times.len(), 5, "{times:?}");
        times
    };
    let (a, b) = (retries(11), retries(12));
    for attempt in 2..5 {
        assert_ne!(a[attempt], b[attempt], "retry {attempt}: {a:?} {b:?}");
    }
}

#[test]
fn the_same_seed_gives_the_same_schedule() {
    assert_eq!(
        schedule(seeded_harness(config(), 42)),
        schedule(seeded_harness(config(), 42))
    );
}

#[test]
fn a_seed_in_the_policy_wins_over_the_drivers() {
    let fixed = || builder().tune(|p| p.seed = Some(7)).build().expect("valid");
    let with_policy_seed = schedule(seeded_harness(fixed(), 1));
    assert_eq!(with_policy_seed, schedule(seeded_harness(fixed(), 2)));
    assert_ne!(with_policy_seed, schedule(seeded_harness(config(), 1)));
}
