//! No network: the async manager against the core's scripted server, the
//! way users can unit-test their own code. Under async-std and smol.

use std::time::{Duration, SystemTime};

use revault_auth_async_std::TokenManager;
use revault_auth_core::testing::{Reply, ScriptedServer, ScriptedTransport};
use revault_auth_core::{ApiKeySecret, Config};

async fn scenario() {
    let config = Config::builder(
        "https://revault.example/v1/rest",
        "scripted-workspace",
        "scripted-key",
        ApiKeySecret::new("scripted-secret"),
    )
    .tune(|policy| policy.backoff_base = Duration::from_millis(10))
    .build()
    .expect("config");
    let transport = ScriptedTransport::new(ScriptedServer::for_config(&config), SystemTime::now);
    transport.server().push(Reply::Status(503));
    let manager = TokenManager::with_transport(config, transport.clone()).expect("manager");

    let first = manager
        .token_owned()
        .await
        .expect("a token after one retry");
    assert_eq!(first.generation().get(), 1);
    assert!(first.secret().expose_secret().starts_with("tok-access-"));
    assert_eq!(transport.server().stats().token_requests, 2);

    assert!(manager.invalidate(&first));
    let second = manager.token_owned().await.expect("refreshed");
    assert_eq!(second.generation().get(), 2);
    let stats = transport.server().stats();
    assert_eq!(stats.refresh_requests, 1);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.spent_refresh_reuse, 0);
    assert_eq!(stats.malformed_requests, 0);
    manager.shutdown().await;
}

#[test]
fn under_async_std() {
    async_std::task::block_on(scenario());
}

#[test]
fn under_smol() {
    smol::block_on(scenario());
}
