//! Shared by the middleware's tests: an emulator with the given lifetimes, a
//! token manager pointed at it, and a hyper-util client.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_mock::{MockConfig, MockServer};
use revault_auth_tokio::TokenManager;

/// An API key secret nobody could mistake for anything else.
pub const SECRET: &str = "mw-api-key-secret-5b8e2f4a";
pub const WORKSPACE: &str = "mw-workspace";
pub const KEY_ID: &str = "mw-key-id";

/// An emulator on loopback with these lifetimes.
pub async fn server(access_ttl: Duration, refresh_ttl: Duration) -> MockServer {
    let config = MockConfig {
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        api_key_secret: SECRET.to_owned(),
        ..MockConfig::default()
    }
    .with_ttls(access_ttl, refresh_ttl);
    MockServer::start(config).await.expect("emulator")
}

/// A configuration for `server` with `secret` and a fast backoff.
pub fn config(server: &MockServer, secret: &str) -> Config {
    Config::builder(
        server.base_url(),
        WORKSPACE,
        KEY_ID,
        ApiKeySecret::new(secret),
    )
    .tune(|policy| {
        policy.backoff_base = Duration::from_millis(20);
        policy.backoff_cap = Duration::from_millis(200);
        policy.request_timeout = Duration::from_secs(2);
        policy.retry_after_cap = Duration::from_secs(2);
    })
    .build()
    .expect("config")
}

/// A token manager for `server` with the right secret.
pub fn manager(server: &MockServer) -> Arc<TokenManager> {
    Arc::new(TokenManager::new(config(server, SECRET)).expect("runtime"))
}

/// Token requests of either kind the emulator has seen.
pub fn auth_requests(server: &MockServer) -> usize {
    server.token_requests() + server.refresh_requests()
}

/// A plain hyper-util client for bodies of type `B`.
pub fn hyper_client<B>() -> Client<HttpConnector, B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    Client::builder(TokioExecutor::new()).build_http()
}

/// An empty-bodied GET.
pub fn get(url: &str) -> http::Request<http_body_util::Empty<Bytes>> {
    http::Request::get(url)
        .body(http_body_util::Empty::new())
        .expect("request")
}
