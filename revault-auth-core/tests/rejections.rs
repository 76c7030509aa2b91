//! Behaviour 5: a rejected refresh leads to one API-key re-authentication;
//! `/auth/token` answering 401/403 is terminal without a retry loop, and 400
//! is terminal carrying the server's message and code.

mod common;

use std::time::Duration;

use common::{SECRET, config, epoch, ready_harness, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{ApiKeySecret, AuthError, ErrorClass, Event, Phase, Purpose, ReauthReason};

#[test]
fn rejected_refresh_leads_to_one_reauthentication() {
    for status in [400, 401, 403] {
        let mut harness = ready_harness();
        harness.push(Reply::Status(status));
        harness.advance(Duration::from_secs(250));
        assert_eq!(sent(&harness, Purpose::Refresh).len(), 1, "{status}");
        assert_eq!(sent(&harness, Purpose::Authenticate).len(), 2, "{status}");
        let reason = harness.events.iter().find_map(|(_, e)| match e {
            Event::Reauthenticated { reason, .. } => Some(*reason),
            _ => None,
        });
        assert_eq!(reason, Some(ReauthReason::RefreshRejected), "{status}");
        assert!(harness.token().is_some());
    }
}

#[test]
fn credentials_rejected_is_terminal_without_retry() {
    for status in [401, 403] {
        let mut harness = Harness::new(config(), epoch());
        harness.push(Reply::Status(status));
        harness.start();
        harness.advance(Duration::from_secs(3600));
        assert_eq!(harness.sent.len(), 1, "no retry loop after {status}");
        assert_eq!(harness.core.phase(), Phase::Failed);
        let error = harness.core.failure().expect("failure recorded");
        assert_eq!(error.class(), ErrorClass::CredentialsRejected);
        assert!(harness.event_list().iter().any(|e| matches!(
            e,
            Event::Failed {
                error: AuthError::CredentialsRejected { .. }
            }
        )));
        assert_eq!(
            harness.core.poll_timeout(),
            None,
            "nothing left to wake for"
        );
    }
}

#[test]
fn invalid_request_is_terminal_and_carries_the_server_message() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Raw(
        400,
        br#"{"message":"workspace is required","code":"BAD_REQUEST","issues":[{"message":"x"}]}"#
            .to_vec(),
    ));
    harness.start();
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.sent.len(), 1);
    let error = harness.core.failure().expect("terminal").clone();
    let server = error.server_message().expect("server message kept");
    assert_eq!(server.message, "workspace is required");
    assert_eq!(server.code, "BAD_REQUEST");
    assert!(
        error
            .to_string()
            .contains("workspace is required (code BAD_REQUEST)")
    );
}

#[test]
fn echoed_secrets_are_scrubbed_from_server_messages() {
    let mut harness = Harness::new(config(), epoch());
    let body = format!(r#"{{"message":"bad secret {SECRET}","code":"UNAUTHORIZED"}}"#);
    harness.push(Reply::Raw(401, body.into_bytes()));
    harness.start();
    harness.advance(Duration::from_secs(1));
    let error = harness.core.failure().expect("terminal");
    assert!(!format!("{error} {error:?}").contains(SECRET));
    assert!(error.to_string().contains("[redacted]"));
}

#[test]
fn a_new_api_key_recovers_from_a_terminal_failure() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Status(401));
    harness.start();
    harness.advance(Duration::from_secs(1));
    assert_eq!(harness.core.phase(), Phase::Failed);
    let now = harness.now();
    harness
        .core
        .update_api_key(common::KEY_ID, ApiKeySecret::new(SECRET), now)
        .expect("valid key");
    harness.advance(Duration::from_secs(1));
    assert!(harness.token().is_some());
    assert!(harness.core.failure().is_none());
}
