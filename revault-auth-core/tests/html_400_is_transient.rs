//! A 400 from `/auth/token` without the spec's error body (a proxy's HTML
//! page) says nothing about our request: it is retried on the backoff
//! schedule, and callers are not told to give up.

mod common;

use std::time::Duration;

use common::{config, epoch};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthError, Event};

#[test]
fn an_html_400_is_retried_with_backoff() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Raw(
        400,
        b"<html><body>400 Bad Request</body></html>".to_vec(),
    ));
    harness.push(Reply::Raw(400, br#"{"message":"no code"}"#.to_vec()));
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert_eq!(harness.core.failure(), None);
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::RetryScheduled {
            error: AuthError::UnexpectedStatus { status: 400 },
            ..
        }
    )));
    harness.advance(Duration::from_secs(5));
    assert!(harness.token().is_some());
    assert_eq!(harness.sent.len(), 3);
    assert!(
        !harness
            .event_list()
            .iter()
            .any(|e| matches!(e, Event::Failed { .. }))
    );
}
