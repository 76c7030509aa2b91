//! Behaviour 3: refresh ahead of expiry in proportion to the lifetime, with
//! seeded jitter, and never hand a token out inside the safety floor.

mod common;

use std::time::Duration;

use common::{builder, config, epoch, ready_harness, secs, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Event, ExpiryCause, Purpose};

#[test]
fn refreshes_300_second_tokens_at_75_to_80_percent() {
    let mut harness = ready_harness();
    harness.advance(Duration::from_secs(299));
    let refreshes = sent(&harness, Purpose::Refresh);
    assert_eq!(refreshes.len(), 1);
    let at = refreshes[0];
    assert!(at >= secs(225.0) && at <= secs(240.0), "refresh at {at:?}");
}

#[test]
fn two_second_tokens_work_too() {
    let mut harness = Harness::new(config(), epoch());
    harness.server.access_ttl = 2.0;
    harness.server.refresh_ttl = 10.0;
    harness.latency = Duration::from_millis(5);
    harness.start();
    for _ in 0..200 {
        harness.advance(Duration::from_millis(50));
        assert!(
            harness.token().is_some(),
            "a token at {:?}",
            harness.elapsed()
        );
        assert!(!harness.serves_expired_token());
    }
    let refreshes = sent(&harness, Purpose::Refresh);
    assert!(refreshes.len() >= 5, "{refreshes:?}");
    let first = refreshes[0];
    assert!(
        first >= secs(1.5) && first <= secs(1.6),
        "refresh at {first:?}"
    );
}

#[test]
fn jitter_is_seeded_and_varies_between_seeds() {
    let first_refresh = |seed: u64| {
        let config = builder()
            .tune(|p| p.seed = Some(seed))
            .build()
            .expect("valid");
        let mut harness = Harness::new(config, epoch());
        harness.start();
        harness.advance(Duration::from_secs(250));
        sent(&harness, Purpose::Refresh)[0]
    };
    assert_eq!(first_refresh(1), first_refresh(1));
    let distinct: std::collections::HashSet<_> = (0..8).map(first_refresh).collect();
    assert!(distinct.len() > 4, "{distinct:?}");
}

#[test]
fn never_serves_a_token_inside_the_safety_floor() {
    let mut harness = ready_harness();
    for _ in 0..100 {
        harness.push(Reply::Status(500));
    }
    harness.advance(Duration::from_secs(289));
    assert!(harness.token().is_some(), "still valid 11 s before expiry");
    harness.advance(Duration::from_millis(1100));
    assert!(harness.token().is_none(), "withdrawn 10 s before expiry");
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::Expired {
            cause: ExpiryCause::Lifetime,
            ..
        }
    )));
}
