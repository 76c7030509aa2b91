//! A per-thread `TokenReader` sees exactly what `try_token` sees: the token
//! once it arrives, nothing once it is withdrawn, the next one after that.

mod common;

use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth_mock::MockServer;

#[tokio::test(flavor = "multi_thread")]
async fn reader_follows_arrivals_and_withdrawals() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    let mut reader = manager.reader();
    assert!(
        reader.try_token().is_none(),
        "nothing before the first demand"
    );

    let first = manager.token_owned().await.expect("token");
    assert_eq!(
        reader.try_token().map(|t| t.generation()),
        Some(first.generation())
    );

    assert!(manager.invalidate(&first));
    assert!(
        reader.try_token().is_none(),
        "a withdrawn token is not served"
    );

    let second = manager.token_owned().await.expect("new token");
    assert_ne!(second.generation(), first.generation());
    assert_eq!(
        reader.try_token().map(|t| t.generation()),
        Some(second.generation())
    );
    manager.shutdown().await;
    assert!(reader.try_token().is_none(), "nothing after shutdown");
}
