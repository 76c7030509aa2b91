//! Shared by the async-std/smol adapter's tests: an emulator on its own
//! thread, a configuration for it with a fast backoff, a wall clock that
//! can jump, and a probe that asks the emulator whether a token is
//! accepted.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use revault_auth_async_std::WallClock;
use revault_auth_core::http::{Request, Response};
use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, Limits, TransportErrorKind,
};
use revault_auth_mock::{MockConfig, MockServer};

pub const SECRET: &str = "async-std-adapter-secret-8e1f0b";
pub const WORKSPACE: &str = "async-std-adapter-workspace";
pub const KEY_ID: &str = "async-std-adapter-key";

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
pub struct JumpClock {
    ahead_ms: Arc<AtomicU64>,
    reads: Arc<AtomicU64>,
}

impl JumpClock {
    pub fn wall(&self) -> WallClock {
        let (ahead, reads) = (Arc::clone(&self.ahead_ms), Arc::clone(&self.reads));
        WallClock::new(move || {
            reads.fetch_add(1, Ordering::SeqCst);
            SystemTime::now() + Duration::from_millis(ahead.load(Ordering::SeqCst))
        })
    }

    pub fn jump(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).expect("a short jump");
        self.ahead_ms.fetch_add(by, Ordering::SeqCst);
    }

    /// Times the manager read this wall clock.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }
}

/// Token requests of either kind the emulator has seen.
pub fn auth_requests(server: &MockServer) -> usize {
    server.token_requests() + server.refresh_requests()
}

/// Whether the emulator accepts `token` on a protected route.
pub fn accepted(server: &MockServer, token: &AccessToken) -> bool {
    ureq::get(server.url("/accounts"))
        .header("authorization", token.header_value())
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .is_ok_and(|answer| answer.status() == 200)
}

/// Polls `done` every 10 ms for up to 5 s.
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if done() {
            return true;
        }
        async_io::Timer::after(Duration::from_millis(10)).await;
    }
    false
}

/// A transport that panics on its first `panics` sends (when called, or
/// when first polled), then hands the request to `inner`.
pub struct Panicky<T> {
    pub inner: T,
    pub panics: AtomicU64,
    pub when_polled: bool,
}

impl<T: AsyncTransport> AsyncTransport for Panicky<T> {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportErrorKind>> + Send {
        let panic = self
            .panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        assert!(
            !panic || self.when_polled,
            "a transport that panics when called"
        );
        let sending = (!panic).then(|| self.inner.send(request, limits));
        async move {
            match sending {
                Some(sending) => sending.await,
                None => panic!("a transport that panics when polled"),
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
pub fn session_key(server: &MockServer) -> revault_auth_async_std::SessionKey {
    revault_auth_async_std::SessionKey::new(server.base_url(), WORKSPACE, KEY_ID)
}
