//! No network: a manager driven against the core's scripted server through
//! its transport, as users can do in their own unit tests.

use std::time::{Duration, SystemTime};

use revault_auth::core::testing::{Reply, ScriptedServer, ScriptedTransport};
use revault_auth::{ApiKeySecret, AuthError, Config, TokenError};

use crate::manager::{Manager, Options, Via};

fn scripted(first_reply: Reply) -> (Config, ScriptedTransport) {
    let config = Config::builder(
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
    .expect("valid config");
    let mut server = ScriptedServer::for_config(&config).with_lifetimes(60.0, 600.0);
    server.push(first_reply);
    (config, ScriptedTransport::new(server, SystemTime::now))
}

async fn scripted_server_retry_invalidate_refresh<M: Manager>() {
    let (config, transport) = scripted(Reply::Status(502));
    let manager = M::build(config, Options::via(Via::Scripted(transport.clone())));

    let first = manager.token().await.expect("a token after one 502");
    assert_eq!(first.generation().get(), 1);
    assert_eq!(first.secret().expose_secret(), "tok-access-1");
    assert_eq!(transport.server().stats().token_requests, 2);

    // A 401 from the API, reported by many callers: one refresh.
    for _ in 0..20 {
        manager.invalidate(&first);
    }
    let second = manager.token().await.expect("refreshed");
    assert_eq!(second.generation().get(), 2);
    let stats = transport.server().stats();
    assert_eq!(stats.refresh_requests, 1);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.spent_refresh_reuse, 0);
    assert_eq!(stats.malformed_requests, 0);
    manager.shutdown().await;
}

async fn scripted_rejection_is_terminal<M: Manager>() {
    let (config, transport) = scripted(Reply::Status(403));
    let manager = M::build(config, Options::via(Via::Scripted(transport.clone())));
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

every_manager!(
    scripted_server_retry_invalidate_refresh,
    scripted_rejection_is_terminal,
);
