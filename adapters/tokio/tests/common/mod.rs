//! Shared by the tokio adapter's tests: an emulator on its own thread, a
//! configuration for it with a fast backoff, a wall clock that can jump,
//! and a probe that asks the emulator whether a token is accepted.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use revault_auth_core::{AccessToken, ApiKeySecret, Config};
use revault_auth_mock::{MockConfig, MockServer};
use revault_auth_tokio::WallClock;

pub const SECRET: &str = "tokio-adapter-secret-3c9d1e";
pub const WORKSPACE: &str = "tokio-adapter-workspace";
pub const KEY_ID: &str = "tokio-adapter-key";

/// An emulator with these lifetimes, served from its own thread.
pub fn server(access: Duration, refresh: Duration) -> MockServer {
    let config = MockConfig {
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        api_key_secret: SECRET.to_owned(),
        ..MockConfig::default()
    }
    .with_ttls(access, refresh);
    MockServer::start_background(config).expect("emulator")
}

/// A configuration for `server` with `secret` and a fast backoff.
pub fn config_with(server: &MockServer, secret: &str) -> Config {
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
    })
    .build()
    .expect("config")
}

pub fn config(server: &MockServer) -> Config {
    config_with(server, SECRET)
}

/// A wall clock the test moves forward, as a suspend would.
#[derive(Clone, Default)]
pub struct JumpClock(Arc<AtomicU64>);

impl JumpClock {
    pub fn wall(&self) -> WallClock {
        let ahead = Arc::clone(&self.0);
        WallClock::new(move || {
            SystemTime::now() + Duration::from_millis(ahead.load(Ordering::SeqCst))
        })
    }

    pub fn jump(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).expect("a short jump");
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

/// Token requests of either kind the emulator has seen.
pub fn auth_requests(server: &MockServer) -> usize {
    server.token_requests() + server.refresh_requests()
}

/// Whether the emulator accepts `token` on a protected route.
pub async fn accepted(server: &MockServer, token: &AccessToken) -> bool {
    reqwest::Client::new()
        .get(server.url("/accounts"))
        .header(reqwest::header::AUTHORIZATION, token.header_value().clone())
        .send()
        .await
        .is_ok_and(|answer| answer.status() == reqwest::StatusCode::OK)
}

/// Polls `done` every 10 ms for up to 5 s.
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A transport that panics on its first `panics` sends, then hands the
/// request to `inner`.
pub struct Panicky<T> {
    pub inner: T,
    pub panics: AtomicU64,
}

impl<T: revault_auth_core::AsyncTransport> revault_auth_core::AsyncTransport for Panicky<T> {
    fn send(
        &self,
        request: revault_auth_core::http::Request<Vec<u8>>,
        limits: revault_auth_core::Limits,
    ) -> impl std::future::Future<
        Output = Result<
            revault_auth_core::http::Response<Vec<u8>>,
            revault_auth_core::TransportErrorKind,
        >,
    > + Send {
        let panic = self
            .panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        let sending = (!panic).then(|| self.inner.send(request, limits));
        async move {
            match sending {
                Some(sending) => sending.await,
                None => panic!("a transport that panics"),
            }
        }
    }
}

/// A file store in a fresh private directory (kept alive by the `TempDir`).
pub fn file_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a private directory");
    let path = dir.path().join("tokens.json");
    (dir, path)
}

/// The session key of `server`'s account.
pub fn session_key(server: &MockServer) -> revault_auth_tokio::SessionKey {
    revault_auth_tokio::SessionKey::new(server.base_url(), WORKSPACE, KEY_ID)
}
