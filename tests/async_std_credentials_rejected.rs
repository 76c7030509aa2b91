//! A rejected API key is terminal: one request, then `TokenError::Failed`
//! for every caller, with no secret in the error.

mod common;

use std::time::Duration;

use common::{SECRET, config_for, mock_config};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_core::{ApiKeySecret, AuthError, TokenError};
use revault_auth_mock::MockServer;

#[test]
fn rejected_credentials_fail_after_one_request() {
    async_std::task::block_on(async {
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
        let manager = TokenManager::new(config).expect("manager");
        let mut events = manager.subscribe();

        for _ in 0..3 {
            match manager.token_owned().await {
                Err(TokenError::Failed(AuthError::CredentialsRejected { status: 401, .. })) => {}
                other => panic!("expected a terminal failure, got {other:?}"),
            }
        }
        assert!(manager.try_token().is_none());
        async_std::task::sleep(Duration::from_millis(100)).await;
        assert_eq!(server.token_requests(), 1);

        let error = manager.token_owned().await.expect_err("failed");
        let mut seen = Vec::new();
        while let Ok(event) = events.try_recv() {
            seen.push(event);
        }
        let shown = format!("{error} {error:?} {manager:?} {seen:?}");
        assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
        let failed = seen
            .iter()
            .filter(|event| matches!(event, Event::Failed { .. }))
            .count();
        assert_eq!(failed, 1, "{seen:?}");
        manager.shutdown().await;
    });
}
