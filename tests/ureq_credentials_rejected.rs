//! A rejected API key is terminal: one request, then `TokenError::Failed`
//! for every caller, with no secret in the error.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{SECRET, config_for, mock_config};
use revault_auth_core::{ApiKeySecret, AuthError, TokenError};
use revault_auth_mock::MockServer;
use revault_auth_ureq::{BlockingTokenManager, Event};

#[test]
fn rejected_credentials_fail_after_one_request() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let wrong = "wrong-api-key-secret-55aa";
    let config = config_for(&server)
        .api_key_secret(ApiKeySecret::new(wrong))
        .build()
        .expect("config");
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let manager = BlockingTokenManager::builder(config)
        .on_event(move |event| sink.lock().expect("events").push(event.clone()))
        .build();

    for _ in 0..3 {
        match manager.token() {
            Err(TokenError::Failed(AuthError::CredentialsRejected { status: 401, .. })) => {}
            other => panic!("expected a terminal failure, got {other:?}"),
        }
    }
    assert!(manager.try_token().is_none());
    assert_eq!(server.token_requests(), 1);

    let error = manager.token().expect_err("failed");
    let shown = format!(
        "{error} {error:?} {manager:?} {:?}",
        events.lock().expect("events")
    );
    assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
    let failed = events
        .lock()
        .expect("events")
        .iter()
        .filter(|event| matches!(event, Event::Failed { .. }))
        .count();
    assert_eq!(failed, 1);
}
