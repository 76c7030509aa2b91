//! [`Manager`] and its [`Builder`]: the async token manager's handle,
//! written once over a [`Runtime`]. Each adapter names it `TokenManager`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use revault_auth_core::http::{HeaderValue, Uri};
use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, Event, SavedTokens, TokenError,
};
use tokio::sync::{broadcast, mpsc};
use tracing::instrument::WithSubscriber;

use crate::command::{self, Command};
use crate::engine::Engine;
use crate::runtime::Runtime;
use crate::store::TokenStore;
use crate::{Publication, TokenReader, TokenRef, TokenSource, WallClock};

/// How long [`Manager::token`] waits by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// A [`Runtime`] and the handle users name for its manager (the
/// adapter's `TokenManager`), which [`Builder::build`] returns.
pub trait NamedRuntime: Runtime {
    /// The adapter's manager type.
    type Handle: From<Manager<Self>>;
}

/// Keeps a valid revault-api access token, refreshed by a driver on
/// runtime `R`. A cheap handle (two reference counts): clones share the
/// driver, which stops on [`shutdown`](Self::shutdown) or when the last
/// clone is dropped.
pub struct Manager<R> {
    publication: Arc<Publication>,
    commands: mpsc::UnboundedSender<Command>,
    wait: Duration,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for Manager<R> {
    fn clone(&self) -> Self {
        Self {
            publication: Arc::clone(&self.publication),
            commands: self.commands.clone(),
            wait: self.wait,
            runtime: PhantomData,
        }
    }
}

impl<R> fmt::Debug for Manager<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("publication", &self.publication)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// Options for a manager, from the adapter's `TokenManager::builder`.
pub struct Builder<R, T> {
    config: Config,
    transport: T,
    wait: Duration,
    wall: WallClock,
    store: Option<Arc<dyn TokenStore>>,
    runtime: PhantomData<fn() -> R>,
}

impl<R, T> fmt::Debug for Builder<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .field("wait", &self.wait)
            .field("store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl<R: NamedRuntime, T: AsyncTransport> Builder<R, T> {
    /// Options for a manager built from `config`, sending through
    /// `transport` (which must not follow redirects).
    pub fn new(config: Config, transport: T) -> Self {
        Self {
            config,
            transport,
            wait: DEFAULT_WAIT,
            wall: WallClock::default(),
            store: None,
            runtime: PhantomData,
        }
    }

    /// Shares the session with every process using `store` (see
    /// [`crate::store`]): a saved usable token is served with no request,
    /// the store's update lock is held around every request that spends a
    /// refresh token or starts a session, a newer session found there is
    /// used instead of sending, and new tokens are saved before they are
    /// published. The store's calls run on the runtime's blocking pool,
    /// never on the driver's loop.
    #[must_use]
    pub fn with_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// How long [`Manager::token`] waits (default [`DEFAULT_WAIT`]).
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

    /// Starts the driver. Nothing is sent before the first call for a
    /// token unless the configuration is eager. The driver logs to the
    /// `tracing` subscriber current here (even a thread-local one).
    pub fn build(self) -> Result<R::Handle, TokenError> {
        let publication = Arc::new(Publication::new(self.config.token_uri(), self.wall));
        let (commands, receiver) = mpsc::unbounded_channel();
        let engine = Engine::new(self.config, Arc::clone(&publication), self.store);
        let driver = crate::driver::run::<R>(engine, self.transport, receiver);
        R::spawn(driver.with_current_subscriber())?;
        let manager = Manager {
            publication,
            commands,
            wait: self.wait,
            runtime: PhantomData,
        };
        Ok(manager.into())
    }
}

impl<R: Runtime> Manager<R> {
    /// Sets how long [`token`](Self::token) waits for a token before
    /// returning [`TokenError::TimedOut`] (default [`DEFAULT_WAIT`]), for
    /// this handle. The driver keeps trying after a caller gives up.
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

    /// A reader for one thread or task: its [`TokenReader::try_token`]
    /// costs one atomic load and a pointer comparison, and borrows the
    /// token instead of handing out a [`TokenRef`]. Only worth keeping
    /// where a borrowed `&AccessToken` is all that is needed.
    pub fn reader(&self) -> TokenReader {
        self.publication.reader()
    }

    /// A valid token: at once when one is published; otherwise starts the
    /// driver on first demand and waits for a token, the error the API key
    /// drew ([`TokenError::Failed`], at once) or the wait deadline
    /// ([`TokenError::TimedOut`], with the last transient error). However
    /// many callers wait, the server sees one request at a time.
    #[inline]
    pub fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send + '_ {
        TokenFuture {
            manager: self,
            waiting: None,
        }
    }

    /// Like [`token`](Self::token), as an `Arc`.
    pub async fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().await.map(TokenRef::into_owned)
    }

    /// The `Authorization` header value (`Bearer <jwt>`, marked sensitive)
    /// of a valid token, waiting like [`token`](Self::token).
    pub async fn authorization(&self) -> Result<HeaderValue, TokenError> {
        self.token().await.map(|token| token.header_value().clone())
    }

    /// Reports that revault-api answered 401 to a call made with `token`.
    /// The token is withdrawn at once and never served again, and the core
    /// hears of it (it ignores reports about a token already replaced), so
    /// many callers failing with one token cause one refresh. A token this
    /// manager did not serve (another manager's) changes nothing. Returns
    /// whether `token` was the one served until now.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let Some(served) = self.publication.reject(token) else {
            return false;
        };
        self.send(Command::Rejected(token.generation()));
        served
    }

    /// Replaces the served token with a new one, now: it is withdrawn as
    /// if revault-api had rejected it (so forced refreshes back to back
    /// follow the core's backoff). Starts the driver if no token was asked
    /// for yet.
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
    /// failure), none carrying a secret. A slow receiver loses the oldest
    /// past [`EVENT_CAPACITY`](crate::EVENT_CAPACITY). The channel works
    /// on any executor.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.publication.subscribe()
    }

    /// Installs tokens from a token store (see
    /// [`AuthCore::restore`](revault_auth_core::AuthCore::restore)) and
    /// returns whether anything was installed. When it returns `true` and
    /// the saved access token was usable, [`try_token`](Self::try_token)
    /// already serves it: no request was made, and none is made until it
    /// is due for refresh (or until first demand, if none was made yet).
    pub async fn restore(&self, saved: SavedTokens) -> bool {
        command::restore(|c| self.send(c), saved).await
    }

    /// A snapshot of the current tokens for a token store (see
    /// [`AuthCore::export`](revault_auth_core::AuthCore::export)); `None`
    /// when no access token is usable or the driver has stopped. Save it
    /// before relying on it elsewhere: the refresh token in it is the only
    /// one.
    pub async fn export(&self) -> Option<SavedTokens> {
        command::export(|c| self.send(c)).await
    }

    /// Stops the driver for every handle and waits for it to end: the
    /// token is dropped, nothing more is sent, and an in-flight request is
    /// abandoned. Dropping the last handle stops it too, without waiting.
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
        self.publication.wait(self.wait, R::sleep_until).await
    }
}

impl<R: Runtime> TokenSource for Manager<R> {
    fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send {
        Manager::token(self)
    }

    fn invalidate(&self, token: &AccessToken) -> bool {
        Manager::invalidate(self, token)
    }

    fn api(&self) -> &Uri {
        self.publication.api()
    }
}

/// What [`Manager::token`] returns. Two words until it has to wait: its
/// first poll reads the published token as [`Manager::try_token`] does and
/// is ready when there is one; only then does it build the wait, whose
/// future (a timer and a listener) lives in a box of its own. An `async fn`
/// would carry that wait inline, and a future that large is neither built
/// nor polled inline in the caller's loop: the cached read would pay a call
/// and a copy it never uses.
struct TokenFuture<'a, R> {
    manager: &'a Manager<R>,
    waiting: Option<Waiting<'a>>,
}

/// The wait for a token, boxed.
type Waiting<'a> = Pin<Box<dyn Future<Output = Result<TokenRef, TokenError>> + Send + 'a>>;

impl<R: Runtime> Future for TokenFuture<'_, R> {
    type Output = Result<TokenRef, TokenError>;

    // Always inlined, with the wait out of line: the output is as large as
    // a `TokenError`, and returned from a call it goes through memory the
    // caller reads back at once, a store-to-load stall that costs more
    // than the read itself. Inlined, a ready token stays in a register.
    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.waiting.is_none()
            && let Some(token) = self.manager.try_token()
        {
            return Poll::Ready(Ok(token));
        }
        self.poll_wait(cx)
    }
}

impl<R: Runtime> TokenFuture<'_, R> {
    #[inline(never)]
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Result<TokenRef, TokenError>> {
        let manager = self.manager;
        self.waiting
            .get_or_insert_with(|| Box::pin(manager.wait_for_token()))
            .as_mut()
            .poll(cx)
    }
}
