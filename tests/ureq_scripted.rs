//! No network: the blocking manager against the core's scripted server,
//! the way users can unit-test their own code.

use std::time::SystemTime;

use revault_auth_core::testing::{Reply, ScriptedServer, ScriptedTransport};
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_ureq::BlockingTokenManager;

#[test]
fn scripted_server_authenticates_retries_and_refreshes() {
    let config = Config::builder(
        "https://revault.example/v1/rest",
        "scripted-workspace",
        "scripted-key",
        ApiKeySecret::new("scripted-secret"),
    )
    .tune(|policy| policy.backoff_base = std::time::Duration::from_millis(10))
    .build()
    .expect("config");
    let transport = ScriptedTransport::new(ScriptedServer::for_config(&config), SystemTime::now);
    transport.server().push(Reply::Status(503));
    let manager = BlockingTokenManager::with_transport(config, transport.clone()).expect("manager");

    let first = manager
        .token()
        .expect("a token after one retry")
        .into_owned();
    assert_eq!(first.generation().get(), 1);
    assert!(first.secret().expose_secret().starts_with("tok-access-"));
    assert_eq!(transport.server().stats().token_requests, 2);

    assert!(manager.invalidate(&first));
    let second = manager.token().expect("refreshed");
    assert_eq!(second.generation().get(), 2);
    let stats = transport.server().stats();
    assert_eq!(stats.refresh_requests, 1);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.spent_refresh_reuse, 0);
    assert_eq!(stats.malformed_requests, 0);
}
