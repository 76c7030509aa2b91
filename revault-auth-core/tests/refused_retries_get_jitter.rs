//! The slow retries after a refusal (credentials rejected) get jitter too:
//! managers refused together do not all try again at the same instant, and
//! none before the slow schedule's wait. Oracle: the scripted server's
//! requests.

mod common;

use std::time::Duration;

use common::{KEY_ID, config, second_request_after_the_first_answer, secs, seeded_harness};

/// The second login's send time after the first was refused.
fn second_login(entropy: u64) -> Duration {
    let mut harness = seeded_harness(config(), entropy);
    harness.server.revoke_key(KEY_ID);
    second_request_after_the_first_answer(harness, Duration::from_secs(400))
}

#[test]
fn slow_retries_after_a_refusal_are_spread_and_never_early() {
    let wait = secs(300.0);
    let returns: Vec<Duration> = (0..100).map(second_login).collect();
    for at in &returns {
        assert!(*at >= wait && *at <= wait.mul_f64(1.2), "{at:?}");
    }
    let distinct: std::collections::HashSet<_> = returns.iter().collect();
    assert!(distinct.len() > 90, "{} distinct", distinct.len());
}
