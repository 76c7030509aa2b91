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
//! driver, the loop around the sans-IO core, runs on a dedicated thread
//! (`revault-auth`, one per manager) under [`async_io::block_on`]: its
//! deadlines are [`async_io::Timer`]s, commands arrive over
//! [`async_channel`]. The constructors need no runtime and work from any
//! thread. The driver stops on [`TokenManager::shutdown`] (through any
//! handle or `Arc`) or when the last handle is dropped. A transport that
//! panics costs one failed request, not the driver.
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
//! [`TokenManager::try_token`] is one atomic load and a clone of this
//! thread's copy of the token: no lock, no allocation, no write to memory
//! another thread writes, no clock read. The driver withdraws the token at its safety
//! floor, and wakes every second to compare the wall clock with the
//! monotonic one, so after a suspend the token is withdrawn within a second
//! of waking. [`TokenManager::token`] waits only when no valid token
//! exists, up to 30 s by default.
//!
//! ## Logs
//! `tracing` debug events, target `revault_auth_async_std`: `sending token request`
//! (`request_id`, `purpose`), `answer` (`request_id`, `status`),
//! `transport error` (`request_id`, `error`) and `token event` (the core's
//! [`Event`], which carries no secret). No body, header or token is ever
//! logged.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::Sender;
use async_io::Timer;
use revault_auth_core::http::{HeaderValue, Request, Uri};
use revault_auth_core::{AuthCore, BlockingTransport, Limits};
use revault_auth_shared::Publication;
use revault_auth_shared::command::{self, Command};

pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, ConfigError, Event, SavedTokens, TokenError,
    TokenGeneration,
};
use revault_auth_shared::store::StoreLink;
pub use revault_auth_shared::store::{FileStore, SessionKey, StoreError, TokenStore};
pub use revault_auth_shared::{
    EVENT_CAPACITY, TokenReader, TokenRef, TokenSource, WallClock, broadcast,
};

mod driver;

/// How long [`TokenManager::token`] waits for a token by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Keeps a valid revault-api token, refreshed by a driver on its own
/// thread. See the crate docs. A cheap handle: clones share the driver,
/// which stops on [`shutdown`](Self::shutdown) or when the last clone is
/// dropped.
#[derive(Clone)]
pub struct TokenManager {
    publication: Arc<Publication>,
    commands: Sender<Command>,
    wait: Duration,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("publication", &self.publication)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// Options for a [`TokenManager`], from [`TokenManager::builder`].
pub struct Builder<T> {
    config: Config,
    transport: T,
    wait: Duration,
    wall: WallClock,
    store: Option<Arc<dyn TokenStore>>,
}

impl<T> fmt::Debug for Builder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .field("wait", &self.wait)
            .field("store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: AsyncTransport> Builder<T> {
    /// Shares the session with every process using `store` (see
    /// [`revault_auth_shared::store`]): a saved usable token is served with
    /// no request, the store's update lock is held around every request that
    /// spends a refresh token or starts a session, a newer session found
    /// there is used instead of sending, and new tokens are saved before
    /// they are published. The store's blocking calls run on the `blocking`
    /// thread pool.
    #[must_use]
    pub fn with_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// How long [`TokenManager::token`] waits (default [`DEFAULT_WAIT`]).
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Where the wall clock is read (default `SystemTime::now`): tests use
    /// it to simulate a suspend.
    #[must_use]
    pub fn wall_clock(mut self, wall: WallClock) -> Self {
        self.wall = wall;
        self
    }

    /// Starts the driver thread; fails with [`TokenError::Closed`] if it
    /// cannot be spawned. Nothing is sent before the first call for a token
    /// unless the configuration is eager.
    pub fn build(self) -> Result<TokenManager, TokenError> {
        let publication = Arc::new(Publication::new(self.config.token_uri(), self.wall));
        let (commands, receiver) = async_channel::unbounded();
        let store = self.store.map(|store| StoreLink::new(store, &self.config));
        let core = AuthCore::new(self.config, Instant::now());
        let driver = driver::Driver::new(core, Arc::clone(&publication), receiver, store);
        let transport = self.transport;
        std::thread::Builder::new()
            .name("revault-auth".to_owned())
            .spawn(move || async_io::block_on(driver.run(transport)))
            .map_err(|_| TokenError::Closed)?;
        Ok(TokenManager {
            publication,
            commands,
            wait: self.wait,
        })
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
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET`.
    pub fn from_env() -> Result<Self, TokenError> {
        let config = Config::from_env_with(|name| std::env::var(name).ok())?.build()?;
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

    /// Options (wait deadline, wall clock) for a manager sending through
    /// `transport`.
    pub fn builder<T: AsyncTransport>(config: Config, transport: T) -> Builder<T> {
        Builder {
            config,
            transport,
            wait: DEFAULT_WAIT,
            wall: WallClock::default(),
            store: None,
        }
    }

    /// Sets how long [`token`](Self::token) waits when no valid token
    /// exists before returning [`TokenError::TimedOut`] (default
    /// [`DEFAULT_WAIT`]), for this handle. The driver keeps trying after a
    /// caller gives up.
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The published token if it is valid: no lock, no allocation, no
    /// clock read. Never starts authentication.
    #[inline]
    pub fn try_token(&self) -> Option<TokenRef> {
        self.publication.try_token()
    }

    /// A per-thread reader: one atomic load and a comparison per read,
    /// borrowing the token (`try_token` costs about the same, with no setup).
    pub fn reader(&self) -> TokenReader {
        self.publication.reader()
    }

    /// A valid token: at once when one is published; otherwise starts the
    /// driver on first demand and waits for a token, the error the API key
    /// drew ([`TokenError::Failed`], at once) or the wait deadline
    /// ([`TokenError::TimedOut`], with the last transient error).
    #[inline]
    pub async fn token(&self) -> Result<TokenRef, TokenError> {
        if let Some(token) = self.try_token() {
            return Ok(token);
        }
        if self.publication.demand() {
            self.send(Command::Start);
        }
        let sleep = |deadline: Instant| async move {
            Timer::at(deadline).await;
        };
        self.publication.wait(self.wait, sleep).await
    }

    /// Like [`token`](Self::token), as an `Arc`.
    pub async fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().await.map(TokenRef::into_owned)
    }

    /// `Bearer <jwt>` for the `Authorization` header (marked sensitive).
    pub async fn authorization(&self) -> Result<HeaderValue, TokenError> {
        Ok(self.token().await?.header_value().clone())
    }

    /// revault-api answered 401 to a call made with `token`: it is
    /// withdrawn at once and never served again, and the core always hears
    /// of it (it ignores reports about a token already replaced), so many
    /// failing calls cause one refresh. Returns whether `token` was the one
    /// served until now. A token this manager did not serve last (another
    /// manager's) changes nothing.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let Some(served) = self.publication.reject(token) else {
            return false;
        };
        self.send(Command::Rejected(token.generation()));
        served
    }

    /// Replaces the served token with a new one, now, as if revault-api had
    /// rejected it (forced refreshes back to back follow the core's
    /// backoff). Starts the driver if no token was asked for yet.
    pub fn force_refresh(&self) {
        match self.try_token() {
            Some(token) => drop(self.invalidate(&token)),
            None if self.publication.demand() => drop(self.send(Command::Start)),
            None => {}
        }
    }

    /// Replaces the API key (rotation, or recovery after the key was
    /// refused). The current token keeps being served until it is due.
    pub async fn update_api_key(
        &self,
        api_key_id: impl Into<String>,
        api_key_secret: ApiKeySecret,
    ) -> Result<(), TokenError> {
        command::update_api_key(|c| self.send(c), api_key_id.into(), api_key_secret).await
    }

    /// Installs tokens from a token store and returns whether anything was
    /// installed (see `AuthCore::restore`); a usable saved token is served
    /// when this returns.
    pub async fn restore(&self, saved: SavedTokens) -> bool {
        command::restore(|c| self.send(c), saved).await
    }

    /// A snapshot of the current tokens for a token store; `None` when no
    /// access token is usable or the driver has stopped.
    pub async fn export(&self) -> Option<SavedTokens> {
        command::export(|c| self.send(c)).await
    }

    /// A receiver for the core's events (tokens obtained, retries, expiry,
    /// failure), none carrying a secret. Each subscriber gets every event
    /// from now on; past [`EVENT_CAPACITY`] unread ones, the oldest are
    /// dropped. The channel works on any executor.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.publication.subscribe()
    }

    /// Stops the driver for good (for every handle) and waits until it
    /// has: the token is dropped, nothing more is sent, and an in-flight
    /// request is abandoned. Dropping the last handle stops it too.
    pub async fn shutdown(&self) {
        self.send(Command::Shutdown);
        self.publication.closed().await;
    }

    fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }
}

impl TokenSource for TokenManager {
    fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send {
        TokenManager::token(self)
    }

    fn invalidate(&self, token: &AccessToken) -> bool {
        TokenManager::invalidate(self, token)
    }

    fn api(&self) -> &Uri {
        self.publication.api()
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
    ) -> impl Future<Output = driver::Answer> + Send {
        let transport = self.0.clone();
        blocking::unblock(move || BlockingTransport::send(&transport, request, limits))
    }
}
