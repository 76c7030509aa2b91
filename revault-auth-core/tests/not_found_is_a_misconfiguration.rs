//! A 404 means the API URL is wrong. Callers get a distinct
//! misconfiguration error at once; the core retries slowly.

mod common;

use std::time::Duration;

use common::{config, epoch, failure_at_once};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthError, ErrorClass, Event};

#[test]
fn a_404_is_a_misconfiguration_retried_slowly() {
    let mut harness = Harness::new(config(), epoch());
    for _ in 0..3 {
        harness.push(Reply::Raw(404, b"<html>Not Found</html>".to_vec()));
    }
    let error = failure_at_once(&mut harness);
    assert_eq!(error, AuthError::Misconfigured { status: 404 });
    assert_eq!(error.class(), ErrorClass::Misconfigured);
    assert!(error.to_string().contains("API URL"), "{error}");
    harness.advance(Duration::from_secs(3600));
    let times: Vec<Duration> = harness.sent.iter().map(|(at, _)| *at).collect();
    // Waits of 300, 600, 1200 s (each plus jitter), then a token.
    common::assert_waits_with_jitter(&times, &[300.0, 600.0, 1200.0]);
    assert!(harness.token().is_some());
    assert_eq!(
        harness
            .event_list()
            .iter()
            .filter(|e| matches!(e, Event::Failed { .. }))
            .count(),
        3
    );
}
