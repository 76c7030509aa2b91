//! A `Retry-After` wait gets jitter, so managers refused together do not
//! come back together: never before the server asked, and never more than
//! a fifth of the wait later. Oracle: when the scripted server saw the next
//! request.

mod common;

use std::time::Duration;

use common::{config, second_request_after_the_first_answer, secs, seeded_harness};
use revault_auth_core::testing::Reply;

/// The first answer is a 429 with `Retry-After: seconds`, which reaches the
/// core 20 ms after the request left: when does the next request leave?
fn return_after_retry_after(entropy: u64, seconds: u64) -> Duration {
    let mut harness = seeded_harness(config(), entropy);
    harness.push(Reply::RateLimited(429, Some(seconds.to_string())));
    second_request_after_the_first_answer(harness, Duration::from_secs(2 * seconds))
}

#[test]
fn the_next_request_is_never_before_n_nor_more_than_a_fifth_later() {
    let asked = secs(10.0);
    let returns: Vec<Duration> = (0..200).map(|e| return_after_retry_after(e, 10)).collect();
    for at in &returns {
        assert!(*at >= asked && *at <= asked.mul_f64(1.2), "{at:?}");
    }
    let (first, last) = (returns.iter().min(), returns.iter().max());
    let spread = *last.expect("returns") - *first.expect("returns");
    assert!(spread >= asked.mul_f64(0.15), "returns within {spread:?}");
}

#[test]
fn the_same_seed_comes_back_at_the_same_time() {
    assert_eq!(
        return_after_retry_after(5, 30),
        return_after_retry_after(5, 30)
    );
}
