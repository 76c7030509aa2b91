//! Suspends each shorter than the tolerance add up: the core measures
//! against one anchor instead of re-anchoring on every wall clock reading,
//! so a token is never served past its real expiry by many short sleeps.

mod common;

use std::time::Duration;

use common::ready_harness;

#[test]
fn short_suspends_add_up() {
    let mut harness = ready_harness();
    // 280 s awake and 28 s asleep, one second at a time (tolerance: 2 s).
    for _ in 0..28 {
        harness.advance(Duration::from_secs(10));
        harness.suspend(Duration::from_secs(1));
        assert!(!harness.serves_expired_token());
    }
    assert_eq!(harness.expired_served, 0);
    assert!(harness.token().is_some());
}

#[test]
fn short_suspends_move_the_deadlines_once_they_pass_the_tolerance() {
    let mut harness = ready_harness();
    let first = harness.token().expect("token").usable_until();
    harness.suspend(Duration::from_millis(1500));
    assert_eq!(harness.token().expect("token").usable_until(), first);
    harness.suspend(Duration::from_millis(1500));
    assert_eq!(
        harness.token().expect("token").usable_until(),
        first - Duration::from_secs(3)
    );
}
