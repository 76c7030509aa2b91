//! Behaviour 4: the refresh token's own lifetime is tracked; when it will
//! not outlive the next refresh, the core re-authenticates with the API key.

mod common;

use std::time::Duration;

use common::{config, epoch, sent};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Event, Purpose, ReauthReason};

#[test]
fn short_lived_refresh_token_leads_to_reauthentication() {
    let mut harness = Harness::new(config(), epoch());
    // The refresh token dies at 200 s, before the 225-240 s refresh point.
    harness.push(Reply::Lifetimes(300.0, 200.0));
    harness.start();
    harness.advance(Duration::from_secs(260));
    assert_eq!(sent(&harness, Purpose::Refresh), vec![]);
    assert_eq!(sent(&harness, Purpose::Authenticate).len(), 2);
    let reason = harness.events.iter().find_map(|(_, e)| match e {
        Event::Reauthenticated { reason, .. } => Some(*reason),
        _ => None,
    });
    assert_eq!(reason, Some(ReauthReason::RefreshTokenExpiring));
    assert!(harness.token().is_some());
}

#[test]
fn long_lived_refresh_token_is_used() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Lifetimes(300.0, 260.0));
    harness.start();
    harness.advance(Duration::from_secs(260));
    assert_eq!(sent(&harness, Purpose::Refresh).len(), 1);
    assert_eq!(sent(&harness, Purpose::Authenticate).len(), 1);
}
