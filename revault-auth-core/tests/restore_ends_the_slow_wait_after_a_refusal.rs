//! Restoring a usable session while the core waits on its slow schedule
//! after a refusal ends that wait: callers get the restored token instead
//! of the stale refusal, and it is refreshed ahead of expiry like any
//! other. Oracle: the scripted server's requests, against the restored
//! token's deadline.

mod common;

use std::time::Duration;

use common::{sent, snapshot_and_a_fresh_harness_on_its_server};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Event, ExpiryCause, Phase, Purpose};

#[test]
fn a_restored_session_is_refreshed_before_its_deadline_despite_the_refusal() {
    let (snapshot, mut harness) = snapshot_and_a_fresh_harness_on_its_server();
    harness.push(Reply::Status(401));
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert_eq!(
        harness.core.phase(),
        Phase::Failed,
        "refused: the slow wait"
    );

    assert!(harness.restore(snapshot));
    let restored = harness.token().expect("the restored token").clone();
    assert_eq!(harness.core.failure(), None, "callers get the token");
    let usable_until = restored.usable_until() - epoch_of(&harness);

    harness.advance(Duration::from_secs(600));
    let refreshes = sent(&harness, Purpose::Refresh);
    assert!(
        refreshes.first().is_some_and(|at| *at < usable_until),
        "refreshes {refreshes:?}, restored token usable until {usable_until:?}"
    );
    assert!(!harness.event_list().iter().any(|e| matches!(
        e,
        Event::Expired {
            cause: ExpiryCause::Lifetime,
            ..
        }
    )));
    assert!(harness.token().is_some());
    assert_eq!(harness.expired_served, 0);
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
}

/// The harness's epoch as an instant: its `now` less the time elapsed.
fn epoch_of(harness: &Harness) -> std::time::Instant {
    harness.now() - harness.elapsed()
}
