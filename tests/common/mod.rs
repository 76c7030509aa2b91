//! Shared by the end-to-end tests (the library's and the CLI's): an
//! emulator with short lifetimes and a configuration pointing at it, with
//! distinctive secrets so secret-hygiene checks can search output for them,
//! and what the emulator saw.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::time::Duration;

use revault_auth::tokio::SessionKey;
use revault_auth_core::{ApiKeySecret, Config, ConfigBuilder};
use revault_auth_mock::{MockConfig, MockServer};

pub mod host;
pub mod redis;

/// An API key secret nobody could mistake for anything else.
pub const SECRET: &str = "e2e-api-key-secret-7f3a9c1d";
pub const WORKSPACE: &str = "e2e-workspace";
pub const KEY_ID: &str = "e2e-key-id";

/// Emulator settings matching [`config_for`], with the given lifetimes.
pub fn mock_config(access_ttl: Duration, refresh_ttl: Duration) -> MockConfig {
    MockConfig {
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        api_key_secret: SECRET.to_owned(),
        ..MockConfig::default()
    }
    .with_ttls(access_ttl, refresh_ttl)
}

/// An emulator with these lifetimes, served from its own thread (so it
/// runs under every runtime, and under none).
pub fn server(access: Duration, refresh: Duration) -> MockServer {
    MockServer::start_background(mock_config(access, refresh)).expect("emulator")
}

/// A builder for a core configuration that authenticates against `server`,
/// with a fast backoff so tests finish quickly.
pub fn config_for(server: &MockServer) -> ConfigBuilder {
    Config::builder(
        server.base_url(),
        WORKSPACE,
        KEY_ID,
        ApiKeySecret::new(SECRET),
    )
    .tune(|policy| {
        policy.backoff_base = Duration::from_millis(20);
        policy.backoff_cap = Duration::from_millis(500);
        policy.request_timeout = Duration::from_secs(2);
        policy.retry_after_cap = Duration::from_secs(5);
    })
}

/// [`config_for`], built.
pub fn config(server: &MockServer) -> Config {
    config_for(server).build().expect("config")
}

/// Token requests of either kind the emulator has seen.
pub fn auth_requests(server: &MockServer) -> usize {
    server.token_requests() + server.refresh_requests()
}

/// The statuses the emulator answered on its token endpoints, in order.
pub fn statuses(server: &MockServer) -> Vec<Option<u16>> {
    server.log().iter().map(|request| request.status).collect()
}

/// A file store's path in a fresh private directory (kept alive by the
/// `TempDir`).
pub fn file_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a private directory");
    let path = dir.path().join("tokens.json");
    (dir, path)
}

/// The session key of `server`'s account.
pub fn session_key(server: &MockServer) -> SessionKey {
    SessionKey::new(server.base_url(), WORKSPACE, KEY_ID)
}
