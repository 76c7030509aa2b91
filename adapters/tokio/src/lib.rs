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
//!     let manager = TokenManager::new(config)?; // or TokenManager::from_env()?
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
//! driven by another runtime. The task ends on [`TokenManager::shutdown`]
//! (callable through any handle or `Arc`) or when the last handle is
//! dropped; in-flight requests are cancelled with it.
//!
//! ## Handles and lifecycle
//! [`TokenManager`] is a handle: `clone()` costs two reference-count
//! increments, and every clone drives the same task. The API is the same on
//! the async-std/smol and ureq managers: [`token`](TokenManager::token),
//! [`token_owned`](TokenManager::token_owned),
//! [`invalidate`](TokenManager::invalidate) (always reaches the core),
//! [`force_refresh`](TokenManager::force_refresh),
//! [`update_api_key`](TokenManager::update_api_key) (also revives a manager
//! whose key was refused: callers get [`TokenError::Failed`] at once until
//! then, and the task keeps running), [`restore`](TokenManager::restore) /
//! [`export`](TokenManager::export), [`subscribe`](TokenManager::subscribe)
//! and [`shutdown`](TokenManager::shutdown).
//!
//! ## The read path
//! [`TokenManager::try_token`] (and [`TokenManager::token`] when a token is
//! published) reads the publication's version and, when it is the one this
//! thread saw last, clones this thread's own copy of the token and its
//! header value: no lock, no allocation, no write to memory another thread
//! writes and no clock read (README has the figures beside the floor and
//! aliri_tokens). The [`TokenRef`] it returns may be held across the HTTP
//! call's `.await` (see its docs); [`TokenManager::reader`] makes a
//! per-thread [`TokenReader`] cheaper still.
//!
//! Without a clock read the reader cannot check expiry itself; instead the
//! task withdraws the token when the core reports [`Event::Expired`], which
//! the core fires at [`AccessToken::usable_until`]: a safety floor (10 s, or
//! 10 % of the lifetime for short tokens) before the token really expires.
//! The task also wakes every [`HEARTBEAT`](revault_auth_shared::HEARTBEAT)
//! (1 s) to compare the wall clock with the monotonic one, so after a
//! suspend the token is withdrawn within a second of waking. A generation
//! reported with [`TokenManager::invalidate`] is withdrawn at once and never
//! served again.
//!
//! ## Transport
//! The default transport is a `reqwest` 0.12 client (rustls) that never
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
//! `tracing` debug events name each request (id, purpose) and its outcome
//! (status or transport error kind, elapsed time); none carries a body, a
//! header or a secret. The background task logs to the `tracing` subscriber
//! that was current where the manager was built (even a thread-local one).
//! [`TokenManager::subscribe`] forwards the core's [`Event`]s, which carry
//! no secret either.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use revault_auth_core::http::{HeaderValue, Uri};
use revault_auth_core::{AuthCore, AuthError, TransportErrorKind};
use revault_auth_shared::Publication;
use revault_auth_shared::command::{self, Command};
use revault_auth_shared::store::StoreLink;
use tokio::sync::{broadcast, mpsc};
use tracing::instrument::WithSubscriber;

pub use crate::transport::ReqwestTransport;
pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, ConfigError, Event, SavedTokens, TokenError,
    TokenGeneration,
};
pub use revault_auth_shared::store::{FileStore, SessionKey, StoreError, TokenStore};
pub use revault_auth_shared::{TokenReader, TokenRef, TokenSource, WallClock};

mod driver;
mod transport;

/// How long [`TokenManager::token`] waits by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Keeps a valid revault-api access token, refreshed by a background task.
/// A cheap handle: clones share the task, which stops on
/// [`shutdown`](Self::shutdown) or when the last clone is dropped.
#[derive(Clone)]
pub struct TokenManager {
    publication: Arc<Publication>,
    commands: mpsc::UnboundedSender<Command>,
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
    /// they are published. The store's blocking calls run on tokio's
    /// blocking pool.
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

    /// Spawns the background task on the current runtime.
    pub fn build(self) -> Result<TokenManager, TokenError> {
        let handle = runtime()?;
        let publication = Arc::new(Publication::new(self.config.token_uri(), self.wall));
        let (commands, receiver) = mpsc::unbounded_channel();
        let store = self.store.map(|store| StoreLink::new(store, &self.config));
        let core = AuthCore::new(self.config, Instant::now());
        let driver = driver::Driver::new(core, self.transport, Arc::clone(&publication), store);
        // The task logs to the subscriber current here, even one set with
        // `tracing::subscriber::set_default` on this thread only.
        handle.spawn(driver.run(receiver).with_current_subscriber());
        Ok(TokenManager {
            publication,
            commands,
            wait: self.wait,
        })
    }
}

impl TokenManager {
    /// A manager using the default transport: a `reqwest` client that never
    /// follows redirects. Must be called inside a tokio runtime.
    pub fn new(config: Config) -> Result<Self, TokenError> {
        runtime()?;
        let transport = transport::ReqwestTransport::new().map_err(|_| {
            tracing::warn!("could not build the HTTP client");
            TokenError::Failed(AuthError::Transport(TransportErrorKind::Other))
        })?;
        Self::builder(config, transport).build()
    }

    /// A manager configured from `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET`, with the default
    /// transport. Must be called inside a tokio runtime.
    pub fn from_env() -> Result<Self, TokenError> {
        let config = Config::from_env_with(|name| std::env::var(name).ok())?.build()?;
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
        Self::with_transport(config, transport::ReqwestTransport::from_client(client))
    }

    /// A manager sending through any [`AsyncTransport`] (for example
    /// `revault_auth_core::testing::ScriptedTransport` (feature `testing`) in unit tests). The
    /// transport must not follow redirects. Must be called inside a tokio
    /// runtime.
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

    /// Sets how long [`token`](Self::token) waits for a token before
    /// returning [`TokenError::TimedOut`] (default [`DEFAULT_WAIT`]), for
    /// this handle. The background task keeps trying after a caller gives up.
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The published token, if one is valid: no lock, no allocation, no
    /// clock read. Never starts authentication; see [`token`](Self::token).
    #[inline]
    pub fn try_token(&self) -> Option<TokenRef> {
        self.publication.try_token()
    }

    /// A reader for one thread or task: its [`TokenReader::try_token`] costs
    /// one atomic load and a pointer comparison, whatever the number of
    /// threads reading, and borrows the token instead of handing out a
    /// [`TokenRef`]. [`try_token`](Self::try_token) costs about the same
    /// with no setup (README, Performance), so a reader is only worth
    /// keeping where a borrowed `&AccessToken` is all that is needed.
    pub fn reader(&self) -> TokenReader {
        self.publication.reader()
    }

    /// A valid token: at once when one is published; otherwise starts the
    /// background task on first demand and waits for a token, the error the
    /// API key drew ([`TokenError::Failed`], at once) or the wait deadline
    /// ([`TokenError::TimedOut`], with the last transient error). However
    /// many callers wait, the server sees one request at a time.
    #[inline]
    pub async fn token(&self) -> Result<TokenRef, TokenError> {
        match self.try_token() {
            Some(token) => Ok(token),
            None => self.wait_for_token().await,
        }
    }

    /// Like [`token`](Self::token), as an `Arc`.
    pub async fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().await.map(TokenRef::into_owned)
    }

    /// The `Authorization` header value (`Bearer <jwt>`, marked sensitive) of
    /// a valid token, waiting like [`token`](Self::token).
    pub async fn authorization(&self) -> Result<HeaderValue, TokenError> {
        self.token().await.map(|token| token.header_value().clone())
    }

    /// Reports that revault-api answered 401 to a call made with `token`.
    /// The token is withdrawn at once and never served again, and the core
    /// always hears of it (it ignores reports about a token already
    /// replaced), so many callers failing with one token cause one refresh.
    /// Returns whether `token` was the one served until now. A token this
    /// manager did not serve last (another manager's) changes nothing.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let Some(served) = self.publication.reject(token) else {
            return false;
        };
        self.send(Command::Rejected(token.generation()));
        served
    }

    /// Replaces the served token with a new one, now: it is withdrawn as if
    /// revault-api had rejected it (so forced refreshes back to back follow
    /// the core's backoff). Starts the task if no token was asked for yet.
    pub fn force_refresh(&self) {
        match self.try_token() {
            Some(token) => drop(self.invalidate(&token)),
            None if self.publication.demand() => drop(self.send(Command::Start)),
            None => {}
        }
    }

    /// Replaces the API key (rotation, or recovery after the key was
    /// refused). The current token keeps being served until it is due; the
    /// next one comes from the new key.
    pub async fn update_api_key(
        &self,
        api_key_id: impl Into<String>,
        api_key_secret: ApiKeySecret,
    ) -> Result<(), TokenError> {
        command::update_api_key(|c| self.send(c), api_key_id.into(), api_key_secret).await
    }

    /// A receiver for the core's events (tokens obtained, retries, expiry,
    /// failure). A slow receiver loses the oldest events (see
    /// [`broadcast`]); none carries a secret.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.publication.subscribe()
    }

    /// Installs tokens from a token store (see
    /// [`AuthCore::restore`](revault_auth_core::AuthCore::restore)) and
    /// returns whether anything was installed. When it returns `true` and
    /// the saved access token was usable, [`try_token`](Self::try_token)
    /// already serves it: no request was made, and none is made until it is
    /// due for refresh (or until first demand, if none was made yet).
    pub async fn restore(&self, saved: SavedTokens) -> bool {
        command::restore(|c| self.send(c), saved).await
    }

    /// A snapshot of the current tokens for a token store (see
    /// [`AuthCore::export`](revault_auth_core::AuthCore::export)); `None`
    /// when no access token is usable or the task has ended. Save it before
    /// relying on it elsewhere: the refresh token in it is the only one.
    pub async fn export(&self) -> Option<SavedTokens> {
        command::export(|c| self.send(c)).await
    }

    /// Stops the background task for every handle and waits for it to end.
    /// Dropping the last handle stops it too, without waiting.
    pub async fn shutdown(&self) {
        self.send(Command::Shutdown);
        self.publication.closed().await;
    }

    fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    async fn wait_for_token(&self) -> Result<TokenRef, TokenError> {
        if self.publication.demand() {
            self.send(Command::Start);
        }
        let sleep = |deadline: Instant| tokio::time::sleep_until(deadline.into());
        self.publication.wait(self.wait, sleep).await
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

fn runtime() -> Result<tokio::runtime::Handle, TokenError> {
    tokio::runtime::Handle::try_current().map_err(|_| TokenError::NoRuntime)
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
