//! `phase()` reports where the session stands at each step: idle before
//! demand, authenticating, ready, refreshing, waiting out a backoff, failed
//! while refused (with its slow retry pending), closed.

mod common;

use std::time::Duration;

use common::{config, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Phase, Purpose};

#[test]
fn phase_follows_the_session() {
    let mut harness = Harness::new(config(), epoch());
    harness.latency = secs(1.0);
    assert_eq!(harness.core.phase(), Phase::Idle);
    assert!(format!("{:?}", harness.core).contains("phase: Idle"));
    harness.push(Reply::Status(502));
    harness.start();
    assert_eq!(harness.core.phase(), Phase::Authenticating);
    harness.advance(secs(1.0));
    assert_eq!(harness.core.phase(), Phase::Waiting);
    assert!(harness.core.retry_at().is_some());
    assert_eq!(harness.core.consecutive_failures(), 1);
    harness.run_until(secs(5.0), |h| h.core.in_flight().is_some());
    assert_eq!(harness.core.phase(), Phase::Authenticating);
    harness.advance(secs(1.0));
    assert_eq!(harness.core.phase(), Phase::Ready);
    assert_eq!(harness.core.retry_at(), None);
    assert_eq!(harness.core.consecutive_failures(), 0);
    harness.run_until(secs(300.0), |h| h.core.in_flight().is_some());
    assert_eq!(
        harness.core.in_flight().map(|(_, p)| p),
        Some(Purpose::Refresh)
    );
    assert_eq!(harness.core.phase(), Phase::Refreshing);
    harness.advance(secs(1.0));
    assert_eq!(harness.core.phase(), Phase::Ready);

    // Refused while a token is still served: callers are told at once.
    harness.server.revoke_key(common::KEY_ID);
    harness.server.reject_refreshes(1);
    harness.run_until(secs(300.0), |h| h.core.failure().is_some());
    assert_eq!(harness.core.phase(), Phase::Failed);
    assert!(
        harness.core.poll_timeout().is_some(),
        "the slow retry is pending"
    );

    harness.core.close();
    assert_eq!(harness.core.phase(), Phase::Closed);
    assert!(harness.core.poll_timeout().is_none());
    let now = harness.now();
    assert!(harness.core.poll_transmit(now).is_none());
    assert!(harness.core.access_token(now).is_none());
    harness.advance(Duration::from_secs(7200));
    assert!(harness.core.poll_transmit(harness.now()).is_none());
}
