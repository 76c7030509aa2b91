//! # revault-auth-async-std
//!
//! An async token manager for revault-api for async-std **and smol** (and
//! any other executor): a [`TokenManager`] authenticates on first demand,
//! refreshes in the background at 75–80 % of the token's lifetime (callers
//! do not wait for it), retries with backoff, honours `Retry-After`, and
//! publishes each token for lock-free reads.
//!
//! ```no_run
//! use revault_auth_async_std::TokenManager;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The same code runs under `async_std::task::block_on`.
//! smol::block_on(async {
//!     // REVAULT_API_URL, REVAULT_WORKSPACE, REVAULT_API_KEY_ID, REVAULT_API_KEY_SECRET
//!     let tokens = TokenManager::from_env()?;
//!     let token = tokens.token().await?; // may be held across the call's `.await`
//!     let header = token.header_value(); // `Bearer <jwt>`, marked sensitive
//!     # let _ = header;
//!     // ... call revault-api with `header`; if it answers 401:
//!     tokens.invalidate(&token); // many reports of one token: one refresh
//!     tokens.shutdown().await;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! ## Runtime
//! async-std is discontinued upstream (RUSTSEC-2025-0052), so this crate
//! does not depend on it and brings no runtime of its own choosing. The
//! driver, the loop around the sans-IO core shared with the tokio manager
//! ([`revault_auth_shared::Manager`]), runs on a dedicated thread
//! (`revault-auth`, one per manager) under [`async_io::block_on`]: its
//! deadlines are [`async_io::Timer`]s, and a token store's calls run on
//! the [`blocking`] pool while its deadlines and commands go on (see
//! [`AsyncIo`]). The constructors need no runtime and work from any
//! thread. The driver stops on `shutdown` (through any handle or `Arc`)
//! or when the last handle is dropped. A transport that panics costs one
//! failed request, not the driver. [`TokenManager`] dereferences to the
//! shared manager, where its methods are documented.
//!
//! ## Handles and lifecycle
//! [`TokenManager`] is a cheap `Clone` handle with the same API as the
//! tokio and ureq managers: `token`, `token_owned`, `invalidate` (always
//! reaches the core), `force_refresh`, `update_api_key` (also revives a
//! manager whose key was refused; until then callers get
//! [`TokenError::Failed`] at once and the driver keeps running),
//! `restore`/`export`, `subscribe` and `shutdown`.
//!
//! ## Transport
//! The default transport is [ureq] 3 run on the [`blocking`] thread pool
//! (the one async-std itself uses). It never follows redirects (also with
//! your own agent, [`TokenManager::with_agent`]: the rule is set on every
//! request), applies the policy's request timeout, stops reading a body
//! past the cap, and refuses plain `http://` to a host that is not
//! loopback. Any other client fits through [`TokenManager::with_transport`].
//!
//! ## Reading and waiting
//! [`TokenManager::try_token`](Manager::try_token) is one atomic load and a clone of this
//! thread's copy of the token: no lock, no allocation, no write to memory
//! another thread writes, no clock read. The driver withdraws the token at its safety
//! floor, and wakes every second to compare the wall clock with the
//! monotonic one, so after a suspend the token is withdrawn within a second
//! of waking. `TokenManager::token` waits only when no valid token
//! exists, up to 30 s by default.
//!
//! ## Logs
//! `tracing` debug events from the shared driver, target
//! `revault_auth_shared::engine`: `sending token request`
//! (`request_id`, `purpose`), `answer` (`request_id`, `status`),
//! `transport error` (`request_id`, `error`) and `token event` (the core's
//! [`Event`], which carries no secret). No body, header or token is ever
//! logged.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::ops::Deref;
use std::time::Duration;

use revault_auth_core::http::{Request, Uri};
use revault_auth_core::{BlockingTransport, Limits};
use revault_auth_shared::{Answer, Manager};

pub use crate::runtime::AsyncIo;
pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, ConfigError, Event, SavedTokens, TokenError,
    TokenGeneration,
};
pub use revault_auth_shared::store::{FileStore, SessionKey, StoreError, TokenStore, UpdateGuard};
pub use revault_auth_shared::{
    DEFAULT_WAIT, EVENT_CAPACITY, TokenReader, TokenRef, TokenSource, WallClock, broadcast,
};

mod runtime;

/// Options for a [`TokenManager`], from [`TokenManager::builder`].
pub type Builder<T> = revault_auth_shared::Builder<AsyncIo, T>;

/// Keeps a valid revault-api token, refreshed by a driver on its own
/// thread. See the crate docs. A cheap handle: clones share the driver,
/// which stops on [`shutdown`](Manager::shutdown) or when the last clone is
/// dropped. Its methods are the shared [`Manager`]'s.
#[derive(Clone, Debug)]
pub struct TokenManager(Manager<AsyncIo>);

impl Deref for TokenManager {
    type Target = Manager<AsyncIo>;

    fn deref(&self) -> &Manager<AsyncIo> {
        &self.0
    }
}

impl TokenManager {
    /// A manager sending with a default ureq agent on the blocking pool.
    /// Needs no runtime: call it from anywhere.
    pub fn new(config: Config) -> Result<Self, TokenError> {
        Self::with_transport(config, UreqTransport::new())
    }

    /// A manager sending with your ureq agent (redirects are still refused).
    pub fn with_agent(config: Config, agent: ureq::Agent) -> Result<Self, TokenError> {
        Self::with_transport(config, UreqTransport::with_agent(agent))
    }

    /// A manager configured from `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET` (or
    /// `REVAULT_API_KEY_SECRET_FILE`, a file holding the secret, as secrets
    /// are mounted in containers).
    pub fn from_env() -> Result<Self, TokenError> {
        let config = revault_auth_shared::env::config_from_env()?.build()?;
        Self::new(config)
    }

    /// A manager sending with any [`AsyncTransport`] (it must not follow
    /// redirects), for example
    /// `revault_auth_core::testing::ScriptedTransport` in unit tests.
    pub fn with_transport(
        config: Config,
        transport: impl AsyncTransport,
    ) -> Result<Self, TokenError> {
        Self::builder(config, transport).build()
    }

    /// Options (token store, wait deadline, wall clock) for a manager
    /// sending through `transport`. `build` starts the driver thread and
    /// fails with [`TokenError::Closed`] if it cannot be spawned.
    pub fn builder<T: AsyncTransport>(config: Config, transport: T) -> Builder<T> {
        Builder::new(config, transport)
    }

    /// Sets how long [`token`](Manager::token) waits when no valid token
    /// exists before returning [`TokenError::TimedOut`] (default
    /// [`DEFAULT_WAIT`]), for this handle. The driver keeps trying after a
    /// caller gives up.
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

/// The default transport: the blocking adapter's ureq 3 transport (never
/// follows redirects, answers 3xx/4xx/5xx as responses, applies the policy's
/// timeout and body cap, refuses plain `http://` to a non-loopback host),
/// run on the [`blocking`] thread pool so no async runtime is needed.
#[derive(Clone, Debug, Default)]
pub struct UreqTransport(revault_auth_ureq::UreqTransport);

impl UreqTransport {
    /// A transport with its own agent.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport over your agent; the rules above are applied to each
    /// request, whatever the agent's own configuration.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        Self(revault_auth_ureq::UreqTransport::with_agent(agent))
    }
}

impl AsyncTransport for UreqTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> impl Future<Output = Answer> + Send {
        let transport = self.0.clone();
        blocking::unblock(move || BlockingTransport::send(&transport, request, limits))
    }
}
