//! The tokio manager needs a runtime and says so instead of panicking, and
//! it runs on a current-thread runtime as well as a multi-thread one (the
//! scripted server sees a failed request retried), until shut down.

use std::time::SystemTime;

use revault_auth_core::testing::{Reply, ScriptedServer, ScriptedTransport};
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_tokio::{TokenError, TokenManager};

fn scripted() -> (Config, ScriptedTransport) {
    let config = Config::builder(
        "https://revault.invalid/v1/rest",
        "unit-workspace",
        "unit-key-id",
        ApiKeySecret::new("unit-key-secret-0123456789"),
    )
    .build()
    .expect("valid config");
    let transport = ScriptedTransport::new(ScriptedServer::for_config(&config), SystemTime::now);
    (config, transport)
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let (config, transport) = scripted();
    let error = TokenManager::new(config.clone()).expect_err("no runtime");
    assert_eq!(error, TokenError::NoRuntime);
    let error = TokenManager::with_transport(config, transport).expect_err("no runtime");
    assert_eq!(error, TokenError::NoRuntime);
    assert!(error.to_string().contains("runtime"));
}

#[tokio::test(flavor = "current_thread")]
async fn it_runs_on_a_current_thread_runtime() {
    let (config, transport) = scripted();
    transport.server().push(Reply::Status(503));
    let manager = TokenManager::with_transport(config, transport.clone()).expect("runtime");
    let token = manager
        .token_owned()
        .await
        .expect("a token after one retry");
    assert_eq!(token.generation().get(), 1);
    assert_eq!(transport.server().stats().token_requests, 2);
    manager.shutdown().await;
    assert_eq!(manager.token().await.err(), Some(TokenError::Closed));
}
