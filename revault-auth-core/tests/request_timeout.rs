//! Behaviour 8: the core times out its own requests, so a driver that loses
//! one cannot wedge it; a late answer to a timed-out request is ignored.

mod common;

use std::time::Duration;

use common::{config, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthCore, AuthError, Event};

#[test]
fn lost_request_times_out_and_is_retried() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Drop);
    harness.start();
    harness.advance(Duration::from_secs(20));
    assert_eq!(harness.sent.len(), 2);
    let retry = harness.sent[1].0;
    assert!(retry >= secs(10.25) && retry <= secs(10.5), "{retry:?}");
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::RetryScheduled {
            error: AuthError::Timeout,
            ..
        }
    )));
    assert!(harness.token().is_some());
}

#[test]
fn late_answer_to_a_timed_out_request_changes_nothing() {
    let now = epoch();
    let mut core = AuthCore::new(config(), now);
    core.start(now);
    let first = core.poll_transmit(now).expect("request");
    let late = now + Duration::from_secs(11);
    core.handle_timeout(late);
    assert!(core.in_flight().is_none());
    let body = br#"{"accessToken":"late.jwt","expiresInSeconds":300,"refreshToken":"late-r","refreshExpiresInSeconds":1800}"#;
    let accepted = core.handle_response(first.id, http::Response::new(body.to_vec()), late);
    assert!(!accepted, "stale id refused");
    assert!(core.access_token(late).is_none());
}

#[test]
fn unknown_ids_change_nothing() {
    let now = epoch();
    let mut core = AuthCore::new(config(), now);
    core.start(now);
    let transmit = core.poll_transmit(now).expect("request");
    let foreign = bogus_id(&transmit);
    assert!(!core.handle_transport_error(foreign, revault_auth_core::TransportErrorKind::Io, now));
    assert!(!core.handle_response(foreign, http::Response::new(b"{}".to_vec()), now));
    assert_eq!(core.in_flight().map(|(id, _)| id), Some(transmit.id));
}

/// An id the core never issued: a second core's first id is the same
/// number, so take the second request of another core instead.
fn bogus_id(transmit: &revault_auth_core::Transmit) -> revault_auth_core::RequestId {
    let now = epoch();
    let mut other = AuthCore::new(config(), now);
    other.start(now);
    let first = other.poll_transmit(now).expect("request");
    other.handle_transport_error(first.id, revault_auth_core::TransportErrorKind::Io, now);
    let later = now + Duration::from_secs(60);
    other.handle_timeout(later);
    let second = other.poll_transmit(later).expect("retry").id;
    assert_ne!(second, transmit.id);
    // The number logs show tells them apart too.
    assert_ne!(second.get(), first.id.get());
    assert_ne!(second.get(), transmit.id.get());
    second
}
