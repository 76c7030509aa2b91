//! Rejected credentials fail promptly and for good: one request, no retry
//! loop.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth::tokio::{TokenError, TokenManager};
use revault_auth::{ApiKeySecret, AuthError};
use revault_auth_mock::MockServer;

#[tokio::test(flavor = "multi_thread")]
async fn rejected_credentials_fail_once() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    let wrong = "wrong-secret-value-91c2";
    let config = config_for(&server)
        .api_key_secret(ApiKeySecret::new(wrong))
        .build()
        .expect("config");
    let manager = TokenManager::new(config).expect("runtime");

    let start = Instant::now();
    let error = manager.token().await.expect_err("rejected");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(
            &error,
            TokenError::Failed(AuthError::CredentialsRejected { status: 401, .. })
        ),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(wrong), "{shown}");

    // Terminal: later calls fail at once, and nothing more is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = manager.token().await.expect_err("still rejected");
    assert_eq!(again, error);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.log().len(), 1);
    manager.shutdown().await;
}
