//! Behaviour 5: a rejected refresh leads to one API-key re-authentication;
//! a refused API key reaches callers at once and a new key recovers at once
//! (the slow retry schedule has its own scenario files).

mod common;

use std::time::Duration;

use common::{SECRET, config, epoch, ready_harness, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{ApiKeySecret, Event, Phase, Purpose, ReauthReason};

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
