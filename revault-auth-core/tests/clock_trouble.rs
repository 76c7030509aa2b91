//! Behaviour 10: stale clock readings, time jumping forwards and suspends
//! never panic and never serve an expired token.

mod common;

use std::time::{Duration, SystemTime};

use common::{config, epoch, ready_harness};
use revault_auth_core::{AuthCore, Event, ExpiryCause};

#[test]
fn a_stale_reading_neither_panics_nor_revives_a_token() {
    let mut harness = ready_harness();
    harness.advance(Duration::from_secs(100));
    harness.step_back(Duration::from_secs(3600));
    assert!(harness.token().is_some());
    assert!(!harness.serves_expired_token());
    harness.advance(Duration::from_secs(4000));
    assert!(!harness.serves_expired_token());
    assert_eq!(harness.stalls, 0);
    // A stale `now` passed to the getter cannot bring back a dropped token.
    let generation = harness.token().expect("token").generation();
    let now = harness.now();
    harness.core.handle_rejected(generation, now);
    assert!(harness.core.access_token(epoch()).is_none());
}

#[test]
fn jumping_forward_expires_the_token_and_fetches_a_new_one() {
    let mut harness = ready_harness();
    let before = harness.token().expect("token").generation();
    harness.jump(Duration::from_secs(5000));
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::Expired {
            generation,
            cause: ExpiryCause::Lifetime
        } if *generation == before
    )));
    assert!(!harness.serves_expired_token());
    harness.advance(Duration::from_secs(1));
    assert!(harness.token().expect("new token").generation() > before);
}

#[test]
fn suspend_is_detected_from_the_wall_clock() {
    let mut harness = ready_harness();
    harness.advance(Duration::from_secs(100));
    harness.suspend(Duration::from_secs(250));
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::Expired {
            cause: ExpiryCause::Suspended,
            ..
        }
    )));
    assert!(!harness.serves_expired_token());
    harness.advance(Duration::from_secs(1));
    assert!(harness.token().is_some());
}

#[test]
fn wall_clock_stepping_back_is_not_a_suspend() {
    let harness = ready_harness();
    let (now, wall) = (harness.now(), harness.wall());
    let mut core = harness.core;
    let stepped = wall - Duration::from_secs(7200);
    for seconds in [1, 10, 60] {
        let later = Duration::from_secs(seconds);
        core.handle_wall_clock(now + later, stepped + later);
        core.handle_timeout(now + later);
        assert!(
            core.access_token(now + later).is_some(),
            "after {seconds} s"
        );
    }
    while let Some(event) = core.poll_event() {
        assert!(!matches!(event, Event::Expired { .. }), "{event:?}");
    }
}

#[test]
fn extreme_instants_do_not_panic() {
    let start = epoch();
    let mut core = AuthCore::new(config(), start);
    core.start(start);
    let transmit = core.poll_transmit(start).expect("request");
    let body = br#"{"accessToken":"a.b.c","expiresInSeconds":604800,"refreshToken":"r","refreshExpiresInSeconds":604800}"#;
    core.handle_response(transmit.id, http::Response::new(body.to_vec()), start);
    let far = start + Duration::from_secs(100 * 365 * 24 * 3600);
    core.handle_wall_clock(far, SystemTime::UNIX_EPOCH);
    core.handle_wall_clock(
        far,
        SystemTime::UNIX_EPOCH + Duration::from_secs(u32::MAX.into()),
    );
    core.handle_timeout(far);
    assert!(core.access_token(far).is_none());
    core.handle_timeout(start);
    let _ = core.poll_transmit(start);
    assert!(core.poll_timeout().is_some());
}
