//! # revault-auth-tokio
//!
//! Keeps a valid revault-api JWT at hand in a tokio application. A
//! [`TokenManager`] runs [`revault_auth_core::AuthCore`] in a background task
//! that authenticates on first demand, refreshes ahead of expiry (callers do
//! not wait for it), retries with backoff, honours `Retry-After`, and
//! publishes each new token for lock-free reads.
//!
//! ```no_run
//! use revault_auth_tokio::{ApiKeySecret, Config, TokenManager};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Config::builder(
//!         "https://revault.example/v1/rest",
//!         "my-workspace",
//!         "my-key-id",
//!         ApiKeySecret::new(std::env::var("REVAULT_API_KEY_SECRET")?),
//!     )
//!     .build()?;
//!     // Or `TokenManager::from_env()?`, or your own client (proxy, roots,
//!     // pool): `TokenManager::with_reqwest_client(config, client)?`.
//!     let manager = TokenManager::new(config)?;
//!
//!     let client = reqwest::Client::new();
//!     // A `TokenRef` may be held across the request's `.await`.
//!     let token = manager.token().await?;
//!     let response = client
//!         .get("https://revault.example/v1/rest/accounts")
//!         .header(reqwest::header::AUTHORIZATION, token.header_value().clone())
//!         .send()
//!         .await?;
//!     if response.status() == reqwest::StatusCode::UNAUTHORIZED {
//!         // The server revoked it: fifty calls reporting one token cause one refresh.
//!         manager.invalidate(&token);
//!     }
//!
//!     manager.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! ## A tokio runtime is required
//! The constructors spawn the background task on the current runtime; called
//! outside one they return [`TokenError::NoRuntime`] (they never panic).
//! Either flavour works. The default transport is a `reqwest` client, which
//! needs tokio's reactor too: a manager whose transport is reqwest cannot be
//! driven by another runtime. The task ends on [`TokenManager::shutdown`](Manager::shutdown)
//! (callable through any handle or `Arc`) or when the last handle is
//! dropped; in-flight requests are cancelled with it.
//!
//! ## Handles and lifecycle
//! [`TokenManager`] is a handle: `clone()` costs two reference-count
//! increments, and every clone drives the same task. The API is the same on
//! the async-std/smol and ureq managers: [`token`](Manager::token),
//! [`token_owned`](Manager::token_owned),
//! [`invalidate`](Manager::invalidate) (always reaches the core),
//! [`force_refresh`](Manager::force_refresh),
//! [`update_api_key`](Manager::update_api_key) (also revives a manager
//! whose key was refused: callers get [`TokenError::Failed`] at once until
//! then, and the task keeps running), [`restore`](Manager::restore) /
//! [`export`](Manager::export), [`subscribe`](Manager::subscribe)
//! and [`shutdown`](Manager::shutdown).
//!
//! ## The read path
//! [`TokenManager::try_token`](Manager::try_token) (and [`TokenManager::token`](Manager::token) when a token is
//! published) reads the publication's version and, when it is the one this
//! thread saw last, clones this thread's own copy of the token and its
//! header value: no lock, no allocation, no write to memory another thread
//! writes and no clock read (README has the figures beside the floor and
//! aliri_tokens). The [`TokenRef`] it returns may be held across the HTTP
//! call's `.await` (see its docs); [`TokenManager::reader`](Manager::reader) makes a
//! per-thread [`TokenReader`] cheaper still.
//!
//! Without a clock read the reader cannot check expiry itself; instead the
//! task withdraws the token when the core reports [`Event::Expired`], which
//! the core fires at [`AccessToken::usable_until`]: a safety floor (10 s, or
//! 10 % of the lifetime for short tokens) before the token really expires.
//! The task also wakes every [`HEARTBEAT`](revault_auth_shared::HEARTBEAT)
//! (1 s) to compare the wall clock with the monotonic one, so after a
//! suspend the token is withdrawn within a second of waking. A generation
//! reported with [`TokenManager::invalidate`](Manager::invalidate) is withdrawn at once and never
//! served again. The task never waits on a token store in place: the
//! store's calls run on tokio's blocking pool while its deadlines and
//! commands go on.
//!
//! ## Where the code is
//! The handle, builder and drive loop are `revault-auth-shared`'s
//! [`Manager`], the same for every async
//! runtime; this crate holds the tokio [`Runtime`](revault_auth_shared::Runtime)
//! ([`Tokio`]), the reqwest transport and the public names.
//! [`TokenManager`] dereferences to the shared manager, where its methods
//! are documented.
//!
//! ## Transport
//! The default transport is a `reqwest` 0.13 client (rustls, the platform verifier) trusting the
//! platform's certificate roots (the system store, or the file named by
//! `SSL_CERT_FILE`: a private CA or a TLS-inspecting proxy installed there
//! is trusted); the `webpki-roots` feature adds the bundled Mozilla roots.
//! A transport failure keeps the client's own words (such as "invalid peer
//! certificate: UnknownIssuer"), sanitised, as the `cause` of
//! [`TokenError::TimedOut`] and its `source()`. It never
//! follows redirects, applies the core's per-request timeout, stops reading a
//! body past the core's size cap, and never logs bodies or headers. With
//! [`TokenManager::with_reqwest_client`] your own client is used; since it
//! may follow redirects, the request body is handed to it in a form reqwest
//! cannot replay (so a 307/308 is never followed with the credentials), and
//! an answer that arrives from another URL than the one requested is refused
//! as a transport error. Any other client fits through
//! [`TokenManager::with_transport`]. A send still running when the core's
//! request deadline passes is aborted, so a transport that ignores its
//! limits cannot pile requests up; a send that panics counts as a transport
//! error.
//!
//! ## Logs and events
//! Each token request runs in an info span `token_request` (target
//! `revault_auth::request`) with `purpose`, `attempt`, `request_id`,
//! `outcome` ("HTTP 200" or the transport error kind) and `duration_ms`;
//! the HTTP client's own spans nest inside it. `tracing` debug events name
//! each request (id, purpose) and its outcome (status or transport error
//! kind and its cause, elapsed time); none carries a body, a header or a
//! secret. The background task logs to the `tracing` subscriber
//! that was current where the manager was built (even a thread-local one).
//! [`TokenManager::subscribe`](Manager::subscribe) forwards the core's [`Event`]s, which carry
//! no secret either.

use std::future::Future;
use std::ops::Deref;
use std::time::Duration;

use revault_auth_core::TransportCause;
use revault_auth_core::http::Uri;
use revault_auth_shared::Manager;

pub use crate::runtime::Tokio;
pub use crate::transport::ReqwestTransport;
pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, ConfigError, Event, SavedTokens, TokenError,
    TokenGeneration,
};
pub use revault_auth_shared::store::{FileStore, SessionKey, StoreError, TokenStore, UpdateGuard};
pub use revault_auth_shared::{DEFAULT_WAIT, TokenReader, TokenRef, TokenSource, WallClock};

mod runtime;
mod transport;

/// Options for a [`TokenManager`], from [`TokenManager::builder`].
pub type Builder<T> = revault_auth_shared::Builder<Tokio, T>;

/// Keeps a valid revault-api access token, refreshed by a background task.
/// A cheap handle: clones share the task, which stops on
/// [`shutdown`](Manager::shutdown) or when the last clone is dropped. Its
/// methods are the shared [`Manager`]'s.
#[derive(Clone, Debug)]
pub struct TokenManager(Manager<Tokio>);

impl Deref for TokenManager {
    type Target = Manager<Tokio>;

    fn deref(&self) -> &Manager<Tokio> {
        &self.0
    }
}

impl TokenManager {
    /// A manager using the default transport: a `reqwest` client that never
    /// follows redirects and trusts the platform's roots. Must be called
    /// inside a tokio runtime. [`TokenError::HttpClient`] if the client
    /// cannot be built (for example an unreadable root store).
    pub fn new(config: Config) -> Result<Self, TokenError> {
        runtime::current()?;
        let transport = ReqwestTransport::new()
            .map_err(|error| TokenError::HttpClient(TransportCause::from_error(&error)))?;
        Self::builder(config, transport).build()
    }

    /// A manager configured from `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET` (or
    /// `REVAULT_API_KEY_SECRET_FILE`, a file holding the secret, as secrets
    /// are mounted in containers), with the default
    /// transport. Must be called inside a tokio runtime. For your own
    /// client with the same variables, build the configuration with
    /// [`revault_auth_shared::env::config_from_env`] and pass it to
    /// [`with_reqwest_client`](Self::with_reqwest_client).
    pub fn from_env() -> Result<Self, TokenError> {
        let config = revault_auth_shared::env::config_from_env()?.build()?;
        Self::new(config)
    }

    /// A manager sending through your own `reqwest` client (proxies, root
    /// certificates, connection pool shared with the rest of your
    /// application). If the client follows redirects, a redirect is still
    /// never honoured: see the crate docs. Must be called inside a tokio
    /// runtime.
    pub fn with_reqwest_client(
        config: Config,
        client: reqwest::Client,
    ) -> Result<Self, TokenError> {
        Self::with_transport(config, ReqwestTransport::from_client(client))
    }

    /// A manager sending through any [`AsyncTransport`] (for example
    /// `revault_auth_core::testing::ScriptedTransport` (feature `testing`)
    /// in unit tests). The transport must not follow redirects. Must be
    /// called inside a tokio runtime.
    pub fn with_transport(
        config: Config,
        transport: impl AsyncTransport,
    ) -> Result<Self, TokenError> {
        Self::builder(config, transport).build()
    }

    /// Options (token store, wait deadline, wall clock) for a manager
    /// sending through `transport`.
    pub fn builder<T: AsyncTransport>(config: Config, transport: T) -> Builder<T> {
        Builder::new(config, transport)
    }

    /// Sets how long [`token`](Manager::token) waits for a token before
    /// returning [`TokenError::TimedOut`] (default [`DEFAULT_WAIT`]), for
    /// this handle. The background task keeps trying after a caller gives up.
    #[must_use]
    pub fn wait_timeout(self, wait: Duration) -> Self {
        Self(self.0.wait_timeout(wait))
    }
}

impl TokenSource for TokenManager {
    fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send {
        self.0.token()
    }

    fn invalidate(&self, token: &AccessToken) -> bool {
        self.0.invalidate(token)
    }

    fn api(&self) -> &Uri {
        TokenSource::api(&self.0)
    }
}

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync + Clone>() {}

    #[test]
    fn handles_can_cross_threads_and_awaits() {
        shareable::<TokenManager>();
        fn send_sync<T: Send + Sync>() {}
        send_sync::<TokenRef>();
        send_sync::<TokenReader>();
    }
}
