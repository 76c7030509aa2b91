//! The manager needs a runtime (and says so instead of panicking), and its
//! background task ends on shutdown and on drop.

use std::time::{Duration, SystemTime};

use revault_auth::core::testing::{ScriptedServer, ScriptedTransport};
use revault_auth::tokio::{TokenError, TokenManager};
use revault_auth::{ApiKeySecret, Config};
use tokio::sync::broadcast::error::RecvError;

fn config() -> Config {
    Config::builder(
        "https://revault.invalid/v1/rest",
        "unit-workspace",
        "unit-key-id",
        ApiKeySecret::new("unit-key-secret-0123456789"),
    )
    .build()
    .expect("valid config")
}

fn transport(config: &Config) -> ScriptedTransport {
    ScriptedTransport::new(ScriptedServer::for_config(config), SystemTime::now)
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let config = config();
    let error = TokenManager::new(config.clone()).expect_err("no runtime");
    assert_eq!(error, TokenError::NoRuntime);
    let error =
        TokenManager::with_transport(config.clone(), transport(&config)).expect_err("no runtime");
    assert_eq!(error, TokenError::NoRuntime);
    assert!(error.to_string().contains("runtime"));
}

async fn ended(mut events: tokio::sync::broadcast::Receiver<revault_auth::Event>) {
    loop {
        match events.recv().await {
            Err(RecvError::Closed) => return,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_the_task() {
    let config = config();
    let manager =
        TokenManager::with_transport(config.clone(), transport(&config)).expect("runtime");
    manager.token().await.expect("token");
    let events = manager.subscribe();
    manager.shutdown().await;
    tokio::time::timeout(Duration::from_secs(1), ended(events))
        .await
        .expect("the task ended");
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_manager_ends_the_task() {
    let config = config();
    let manager =
        TokenManager::with_transport(config.clone(), transport(&config)).expect("runtime");
    manager.token().await.expect("token");
    let events = manager.subscribe();
    drop(manager);
    tokio::time::timeout(Duration::from_secs(1), ended(events))
        .await
        .expect("the task ended");
}
