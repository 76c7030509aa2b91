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
//!     let token = manager.token_owned().await?;
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
//! Either flavour works. The task ends on [`TokenManager::shutdown`] or when
//! the manager is dropped, and in-flight requests are cancelled with it.
//!
//! ## The read path
//! [`TokenManager::try_token`] (and [`TokenManager::token`] when a token is
//! cached) is one [`ArcSwapOption::load`](arc_swap::ArcSwapAny::load): no
//! lock, no allocation, no reference-count increment on a shared `Arc`, and
//! no clock read. The returned [`TokenRef`] borrows one of a few per-thread
//! slots: drop it soon, and use [`TokenManager::token_owned`] to keep a token
//! across `.await`s.
//!
//! Without a clock read the reader cannot check expiry itself; instead the
//! driver withdraws the token when the core reports
//! [`Event::Expired`], which the core fires at
//! [`AccessToken::usable_until`]: a safety floor (10 s, or 10 % of the
//! lifetime for short tokens) before the token really expires. A driver
//! delayed by a busy runtime therefore still withdraws a token before the
//! server stops accepting it. After a suspend the driver notices the jump of
//! the wall clock within 10 s and withdraws the token then; a 401 reported
//! with [`TokenManager::invalidate`] withdraws it at once.
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
//! [`TokenManager::with_transport`].
//!
//! ## Logs and events
//! `tracing` debug events name each request (id, purpose) and its outcome
//! (status or transport error kind, elapsed time); none carries a body, a
//! header or a secret. The background task logs to the `tracing` subscriber
//! that was current where the manager was built (even a thread-local one).
//! [`TokenManager::subscribe`] forwards the core's
//! [`Event`]s, which carry no secret either.

use std::fmt;
use std::ops::Deref;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::cache::Cache;
use arc_swap::{ArcSwapOption, Guard};
use revault_auth_core::http::HeaderValue;
use revault_auth_core::{AuthCore, AuthError, TransportErrorKind};
use tokio::sync::{Notify, broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::instrument::WithSubscriber;

pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, Event, SavedTokens, TokenError,
    TokenGeneration,
};

mod driver;
mod transport;

/// How long [`TokenManager::token`] waits by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Events buffered per subscriber before the oldest are dropped.
const EVENT_CAPACITY: usize = 64;

/// State shared between the handles and the driver task.
#[derive(Default)]
struct Shared {
    /// The token to serve; `None` when there is none or it was withdrawn.
    /// In its own `Arc` so that [`TokenReader`]s can hold it.
    token: Arc<ArcSwapOption<AccessToken>>,
    /// The core's terminal error.
    failure: ArcSwapOption<AuthError>,
    /// The core's latest error, cleared when a token arrives.
    last_error: ArcSwapOption<AuthError>,
    /// Set once the first demand has been sent to the driver.
    started: AtomicBool,
    /// Set when the driver task has ended.
    closed: AtomicBool,
    /// Woken on a new token, a terminal failure, or the end of the task.
    changed: Notify,
}

/// What a handle asks of the driver task.
#[derive(Debug)]
enum Command {
    /// First demand for a token.
    Start,
    /// revault-api answered 401 to this token generation.
    Rejected(TokenGeneration),
    /// Install saved tokens; answers whether anything was installed.
    Restore(Box<SavedTokens>, oneshot::Sender<bool>),
    /// Snapshot the tokens for a token store.
    Export(oneshot::Sender<Option<SavedTokens>>),
    /// Stop for good.
    Shutdown,
}

/// Keeps a valid revault-api access token, refreshed by a background task.
/// See the crate docs. To share it, put it in an `Arc`.
pub struct TokenManager {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<Event>,
    task: JoinHandle<()>,
    wait: Duration,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = self.shared.token.load();
        f.debug_struct("TokenManager")
            .field("generation", &token.as_ref().map(|t| t.generation()))
            .field("failure", &self.shared.failure.load().as_deref())
            .field("closed", &self.shared.closed.load(Ordering::Acquire))
            .field("wait", &self.wait)
            .finish_non_exhaustive()
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
        Self::with_transport(config, transport)
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
    /// [`revault_auth_core::testing::ScriptedTransport`] in unit tests). The
    /// transport must not follow redirects. Must be called inside a tokio
    /// runtime.
    pub fn with_transport(
        config: Config,
        transport: impl AsyncTransport,
    ) -> Result<Self, TokenError> {
        let handle = runtime()?;
        let shared = Arc::new(Shared::default());
        let (commands, receiver) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let core = AuthCore::new(config, Instant::now());
        let driver = driver::Driver::new(core, transport, Arc::clone(&shared), events.clone());
        // The task logs to the subscriber current here, even one set with
        // `tracing::subscriber::set_default` on this thread only.
        let task = handle.spawn(driver.run(receiver).with_current_subscriber());
        Ok(Self {
            shared,
            commands,
            events,
            task,
            wait: DEFAULT_WAIT,
        })
    }

    /// Sets how long [`token`](Self::token) waits for a token before
    /// returning [`TokenError::TimedOut`] (default [`DEFAULT_WAIT`]). The
    /// background task keeps trying after a caller gives up.
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The cached token, if one is valid: no lock, no allocation, no clock
    /// read. Never starts authentication; see [`token`](Self::token).
    #[inline]
    pub fn try_token(&self) -> Option<TokenRef> {
        let guard = self.shared.token.load();
        guard.is_some().then_some(TokenRef { guard })
    }

    /// A reader for one thread or task: its [`TokenReader::try_token`] costs
    /// one atomic load and a pointer comparison, whatever the number of
    /// threads reading. Make one per worker and keep it.
    pub fn reader(&self) -> TokenReader {
        TokenReader {
            cache: Cache::new(Arc::clone(&self.shared.token)),
        }
    }

    /// A valid token: at once when one is cached; otherwise starts the
    /// background task on first demand and waits for a token, a terminal
    /// failure ([`TokenError::Failed`]) or the wait deadline
    /// ([`TokenError::TimedOut`], with the last transient error). However
    /// many callers wait, the server sees one request at a time.
    pub async fn token(&self) -> Result<TokenRef, TokenError> {
        match self.try_token() {
            Some(token) => Ok(token),
            None => self.wait_for_token().await,
        }
    }

    /// Like [`token`](Self::token), as an `Arc` to keep across `.await`s.
    pub async fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().await.map(TokenRef::into_owned)
    }

    /// The `Authorization` header value (`Bearer <jwt>`, marked sensitive) of
    /// a valid token, waiting like [`token`](Self::token).
    pub async fn authorization(&self) -> Result<HeaderValue, TokenError> {
        self.token().await.map(|token| token.header_value().clone())
    }

    /// Reports that revault-api answered 401 to a call made with `token`. The
    /// token is withdrawn at once if it is still the one served, and the
    /// background task obtains a new one; reports about a token already
    /// replaced or withdrawn change nothing, so many callers failing with
    /// the same token cause a single refresh. Returns whether this call
    /// withdrew the token.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let current = self.shared.token.load();
        if current.as_ref().map(|t| t.generation()) != Some(token.generation()) {
            return false;
        }
        let previous = self.shared.token.compare_and_swap(&current, None);
        let withdrawn = match (previous.as_ref(), current.as_ref()) {
            (Some(previous), Some(current)) => Arc::ptr_eq(previous, current),
            _ => false,
        };
        if withdrawn {
            let _ = self.commands.send(Command::Rejected(token.generation()));
        }
        withdrawn
    }

    /// A receiver for the core's events (tokens obtained, retries, expiry,
    /// failure). A slow receiver loses the oldest events (see
    /// [`broadcast`]); none carries a secret.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Installs tokens from a token store (see
    /// [`AuthCore::restore`](revault_auth_core::AuthCore::restore)) and
    /// returns whether anything was installed. When it returns `true` and
    /// the saved access token was usable, [`try_token`](Self::try_token)
    /// already serves it: no request was made, and none is made until it is
    /// due for refresh (or until first demand, if none was made yet).
    pub async fn restore(&self, saved: SavedTokens) -> bool {
        let (answer, answered) = oneshot::channel();
        if self
            .commands
            .send(Command::Restore(Box::new(saved), answer))
            .is_err()
        {
            return false;
        }
        answered.await.unwrap_or(false)
    }

    /// A snapshot of the current tokens for a token store (see
    /// [`AuthCore::export`](revault_auth_core::AuthCore::export)); `None`
    /// when no access token is usable or the task has ended. Save it before
    /// relying on it elsewhere: the refresh token in it is the only one.
    pub async fn export(&self) -> Option<SavedTokens> {
        let (answer, answered) = oneshot::channel();
        self.commands.send(Command::Export(answer)).ok()?;
        answered.await.ok().flatten()
    }

    /// Stops the background task and waits for it to end. Dropping the
    /// manager stops it too, without waiting.
    pub async fn shutdown(self) {
        let Self { commands, task, .. } = self;
        let _ = commands.send(Command::Shutdown);
        drop(commands);
        let _ = task.await;
    }

    async fn wait_for_token(&self) -> Result<TokenRef, TokenError> {
        let shared = &self.shared;
        if !shared.started.load(Ordering::Relaxed) && !shared.started.swap(true, Ordering::AcqRel) {
            let _ = self.commands.send(Command::Start);
        }
        let started = Instant::now();
        let deadline = started.checked_add(self.wait);
        loop {
            let mut changed = pin!(shared.changed.notified());
            changed.as_mut().enable();
            if let Some(token) = self.try_token() {
                return Ok(token);
            }
            if let Some(error) = shared.failure.load_full() {
                return Err(TokenError::Failed((*error).clone()));
            }
            if shared.closed.load(Ordering::Acquire) {
                return Err(TokenError::Closed);
            }
            let woken = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline.into(), changed)
                    .await
                    .is_ok(),
                None => {
                    changed.await;
                    true
                }
            };
            if !woken {
                let waited = started.elapsed();
                return Err(TokenError::TimedOut {
                    waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                    last_error: shared.last_error.load_full().map(|e| (*e).clone()),
                });
            }
        }
    }
}

fn runtime() -> Result<tokio::runtime::Handle, TokenError> {
    tokio::runtime::Handle::try_current().map_err(|_| TokenError::NoRuntime)
}

/// A cached token, borrowed for a short while (an `arc_swap` guard: getting
/// one took no lock and touched no shared counter). Dereferences to
/// [`AccessToken`]. Drop it soon; convert it with
/// [`into_owned`](Self::into_owned) to keep it longer.
pub struct TokenRef {
    guard: Guard<Option<Arc<AccessToken>>>,
}

impl TokenRef {
    /// The token as an `Arc` (one reference-count increment).
    pub fn into_owned(self) -> Arc<AccessToken> {
        match Guard::into_inner(self.guard) {
            Some(token) => token,
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl Deref for TokenRef {
    type Target = AccessToken;

    #[inline]
    fn deref(&self) -> &AccessToken {
        match self.guard.as_deref() {
            Some(token) => token,
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl fmt::Debug for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokenRef").field(&**self).finish()
    }
}

/// A per-thread (or per-task) view of the cached token, from
/// [`TokenManager::reader`]. It keeps its own reference to the token it last
/// saw and goes to the shared slot only when the token changed, so a read is
/// one atomic load and a comparison: no lock, no allocation, no write to
/// shared memory. A withdrawn token is seen as withdrawn on the next read;
/// until then the reader keeps that token's memory alive.
pub struct TokenReader {
    cache: Cache<Arc<ArcSwapOption<AccessToken>>, Option<Arc<AccessToken>>>,
}

impl TokenReader {
    /// The cached token, if one is valid (same rules as
    /// [`TokenManager::try_token`]).
    #[inline]
    pub fn try_token(&mut self) -> Option<&AccessToken> {
        self.cache.load().as_deref()
    }
}

impl fmt::Debug for TokenReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenReader").finish_non_exhaustive()
    }
}

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync>() {}

    #[test]
    fn handles_can_cross_threads_and_awaits() {
        shareable::<TokenManager>();
        shareable::<TokenRef>();
        shareable::<TokenReader>();
    }
}
