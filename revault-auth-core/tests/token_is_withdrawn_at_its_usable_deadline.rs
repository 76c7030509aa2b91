//! A token stops being served exactly at its usable deadline (the safety
//! floor before expiry), and one whose answer took longer than its usable
//! life is withdrawn the moment it arrives.

mod common;

use std::time::Duration;

use common::{config, epoch, ready_harness, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Event, ExpiryCause};

#[test]
fn a_token_is_not_served_at_its_usable_deadline() {
    let harness = ready_harness();
    let token = harness.token().expect("token").clone();
    let deadline = token.usable_until();
    assert!(
        harness
            .core
            .access_token(deadline - Duration::from_nanos(1))
            .is_some()
    );
    assert!(harness.core.access_token(deadline).is_none());
}

#[test]
fn a_token_older_than_its_usable_life_on_arrival_is_withdrawn_at_once() {
    let mut harness = Harness::new(config(), epoch());
    harness.latency = secs(2.0);
    // 1.5 s of life, 1.35 s usable: gone before the answer arrives.
    harness.push(Reply::Lifetimes(1.5, 1800.0));
    harness.start();
    harness.advance(secs(2.0));
    assert!(harness.token().is_none());
    let events = harness.event_list();
    let authenticated = events
        .iter()
        .position(|e| matches!(e, Event::Authenticated { .. }))
        .expect("authenticated");
    assert!(matches!(
        events[authenticated + 1],
        Event::Expired {
            cause: ExpiryCause::Lifetime,
            ..
        }
    ));
    assert_eq!(harness.expired_served, 0);
}
