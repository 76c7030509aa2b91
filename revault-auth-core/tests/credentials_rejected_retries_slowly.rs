//! `/auth/token` answering 401 or 403 gives callers the typed
//! `CredentialsRejected` at once, with no retry loop; the core tries again
//! on the slow schedule (5 min doubling to 1 h) and at once after
//! `update_api_key`.

mod common;

use std::time::Duration;

use common::{KEY_ID, KEY_ID_2, SECRET_2, config, epoch, failure_at_once, secs};
use revault_auth_core::testing::Harness;
use revault_auth_core::{AuthError, ErrorClass, Event, Phase};

#[test]
fn credentials_rejected_fails_callers_at_once_and_retries_slowly() {
    let mut harness = Harness::new(config(), epoch());
    harness.server.revoke_key(KEY_ID);
    let error = failure_at_once(&mut harness);
    assert_eq!(error.class(), ErrorClass::CredentialsRejected);
    assert!(matches!(
        error,
        AuthError::CredentialsRejected { status: 401, .. }
    ));
    assert!(error.is_terminal());
    assert_eq!(harness.core.phase(), Phase::Failed);
    let retry = harness
        .core
        .poll_timeout()
        .expect("a slow retry is scheduled");
    assert_eq!(retry, harness.core.retry_at().expect("waiting"));
    let waits = retry - harness.now();
    assert!(waits >= secs(299.92) && waits <= secs(359.92), "{waits:?}");

    harness.advance(Duration::from_secs(3 * 3600));
    let times: Vec<Duration> = harness.sent.iter().map(|(at, _)| *at).collect();
    // Waits of 300, 600, 1200, 2400 s, then an hour (each plus jitter).
    common::assert_waits_with_jitter(&times, &[300.0, 600.0, 1200.0, 2400.0, 3600.0]);
    let failed = harness
        .event_list()
        .iter()
        .filter(|e| matches!(e, Event::Failed { .. }))
        .count();
    assert_eq!(failed, times.len());
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );

    // A new key is tried at once.
    harness.server.add_key(KEY_ID_2, SECRET_2);
    let before = harness.sent.len();
    harness.update_api_key(KEY_ID_2, SECRET_2);
    assert_eq!(harness.sent.len(), before + 1, "sent at once");
    assert_eq!(harness.core.failure(), None, "callers wait for the new key");
    harness.advance(Duration::from_millis(100));
    assert!(harness.token().is_some());
    assert_eq!(harness.core.phase(), Phase::Ready);
}
