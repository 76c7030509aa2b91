//! No network: the tokio manager driven against the core's scripted server
//! through `with_transport`, as users can do in their own unit tests.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use revault_auth::core::testing::{Reply, ScriptedServer, ScriptedTransport};
use revault_auth::tokio::{TokenError, TokenManager};
use revault_auth::{ApiKeySecret, AuthError, Config};

fn config() -> Config {
    Config::builder(
        "https://revault.invalid/v1/rest",
        "unit-workspace",
        "unit-key-id",
        ApiKeySecret::new("unit-key-secret-0123456789"),
    )
    .tune(|policy| {
        policy.backoff_base = Duration::from_millis(10);
        policy.backoff_cap = Duration::from_millis(100);
    })
    .build()
    .expect("valid config")
}

#[tokio::test(flavor = "multi_thread")]
async fn scripted_server_retry_invalidate_refresh() {
    let config = config();
    let mut server = ScriptedServer::for_config(&config).with_lifetimes(60.0, 600.0);
    server.push(Reply::Status(502));
    let transport = ScriptedTransport::new(server, SystemTime::now);
    let manager =
        Arc::new(TokenManager::with_transport(config, transport.clone()).expect("runtime"));

    let first = manager.token_owned().await.expect("a token after one 502");
    assert_eq!(first.generation().get(), 1);
    assert_eq!(first.secret().expose_secret(), "tok-access-1");
    assert_eq!(transport.server().stats().token_requests, 2);

    // A 401 from the API, reported by many callers: one refresh.
    for _ in 0..20 {
        manager.invalidate(&first);
    }
    let second = manager.token_owned().await.expect("refreshed");
    assert_eq!(second.generation().get(), 2);
    let stats = transport.server().stats();
    assert_eq!(stats.refresh_requests, 1);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.spent_refresh_reuse, 0);
    assert_eq!(stats.malformed_requests, 0);
}

#[tokio::test]
async fn scripted_rejection_is_terminal_on_a_current_thread_runtime() {
    let config = config();
    let mut server = ScriptedServer::for_config(&config);
    server.push(Reply::Status(403));
    let transport = ScriptedTransport::new(server, SystemTime::now);
    let manager = TokenManager::with_transport(config, transport.clone()).expect("runtime");
    let error = manager.token().await.expect_err("rejected");
    assert!(
        matches!(
            error,
            TokenError::Failed(AuthError::CredentialsRejected { status: 403, .. })
        ),
        "{error:?}"
    );
    assert_eq!(transport.server().stats().token_requests, 1);
    manager.shutdown().await;
}
