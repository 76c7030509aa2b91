//! # revault-auth-ureq
//!
//! A blocking token manager for revault-api over [ureq] 3, with no
//! background thread: [`BlockingTokenManager::token`] returns the published
//! token with one atomic load, a clone of this thread's copy and one
//! monotonic clock read, and the first
//! caller past the refresh point refreshes it inline while every other
//! caller keeps getting the current token. Only when no valid token exists
//! do callers wait, up to a deadline (30 s by default).
//!
//! ```no_run
//! use revault_auth_ureq::BlockingTokenManager;
//!
//! // REVAULT_API_URL, REVAULT_WORKSPACE, REVAULT_API_KEY_ID, REVAULT_API_KEY_SECRET
//! let tokens = BlockingTokenManager::from_env()?;
//! let token = tokens.token()?;
//! let answer = ureq::get("https://revault.example/v1/rest/some/resource")
//!     .header("authorization", token.header_value())
//!     .config()
//!     .http_status_as_error(false)
//!     .build()
//!     .call()?;
//! if answer.status() == 401 {
//!     // revault-api rejected this token: drop it, the next call gets a new one.
//!     tokens.invalidate(&token);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Inside an async runtime
//!
//! [`BlockingTokenManager::token`] blocks the calling thread: on a refresh
//! for as long as the HTTP exchange takes, and with no valid token for up to
//! its wait deadline. Called from an async task it stalls the executor
//! thread, and every task scheduled on it. Use `revault-auth-tokio` or
//! `revault-auth-async-std` there, or go through [`TokenSource`] (what the
//! middleware does): its `token_owned` never blocks, and drives the manager
//! on a thread of its own when it must.
//!
//! ## Handles and lifecycle
//! [`BlockingTokenManager`] is a cheap `Clone` handle with the same API as
//! the tokio and async-std managers: `token`, `token_owned`, `invalidate`
//! (always reaches the core), `force_refresh`, `update_api_key` (also
//! revives a manager whose key was refused: callers get
//! [`TokenError::Failed`] at once until then), `restore`/`export`,
//! `subscribe` (plus the [`Builder::on_event`] hook) and `shutdown`.
//!
//! ## What it guarantees
//! - One request at a time, process-wide for this manager: 64 threads
//!   calling at cold start or at expiry cause one `POST /auth/token`.
//! - Redirects are never followed (also with your own [`ureq::Agent`]: the
//!   rule is applied to every request), bodies are read up to the
//!   configured cap, and each exchange has the policy's timeout. A
//!   transport that panics costs one failed request.
//! - Suspend safety without a wall-clock read per call: every time a caller
//!   drives the core, the wall clock is compared with the monotonic one, and
//!   a token is served without that check for at most
//!   [`HEARTBEAT`](revault_auth_shared::HEARTBEAT) (1 s) of running time.
//! - Event callbacks run on the thread that drove the exchange, with no
//!   lock held: they may call back into the manager.
//!
//! ## Where the code is
//! Only the inline drive (who drives, when, and waiting on a condition
//! variable) is this crate's. What a drive does (clocks, commands, the
//! token store, sending and feeding, publishing) is the
//! [`Engine`] shared with the async managers,
//! run here in place on the caller's thread.
//!
//! ## Logs
//! `tracing` debug events, target `revault_auth_shared::engine`: `sending token request`
//! (`request_id`, `purpose`), `answer` (`request_id`, `status`),
//! `transport error` (`request_id`, `error`) and `token event` (the core's
//! [`Event`], which carries no secret). No body, header or token is ever
//! logged.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use revault_auth_core::TransportErrorKind;
use revault_auth_core::http::{HeaderValue, Uri};
use revault_auth_shared::command::{Applied, Command};
use revault_auth_shared::{Engine, Publication};
use tokio::sync::oneshot;

pub use crate::transport::UreqTransport;
pub use revault_auth_core::{
    AccessToken, ApiKeySecret, BlockingTransport, Config, ConfigError, Event, SavedTokens,
    TokenError, TokenGeneration,
};
pub use revault_auth_shared::store::{FileStore, SessionKey, StoreError, TokenStore, UpdateGuard};
pub use revault_auth_shared::{DEFAULT_WAIT, TokenRef, TokenSource, WallClock, broadcast};

mod transport;

type Hook = Box<dyn Fn(&Event) + Send + Sync>;

/// The same name as every other runtime's manager
/// (`revault_auth::ureq::TokenManager`, `revault_auth::tokio::TokenManager`, ...).
pub use self::BlockingTokenManager as TokenManager;

/// Keeps a valid revault-api token for blocking code. See the crate docs.
/// A cheap handle: clones share one core.
#[derive(Clone)]
pub struct BlockingTokenManager {
    publication: Arc<Publication>,
    inner: Arc<Inner>,
    wait: Duration,
}

struct Inner {
    state: Mutex<State>,
    changed: Condvar,
    transport: Box<dyn BlockingTransport>,
    hook: Option<Hook>,
    /// A thread is driving a refresh for [`TokenSource`] callers.
    refreshing: AtomicBool,
}

struct State {
    engine: Engine,
    /// A request is in flight (the lock is released while it is).
    sending: bool,
}

impl fmt::Debug for BlockingTokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTokenManager")
            .field("publication", &self.publication)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// Options for a [`BlockingTokenManager`].
pub struct Builder {
    config: Config,
    transport: Option<Box<dyn BlockingTransport>>,
    hook: Option<Hook>,
    wait: Duration,
    wall: WallClock,
    store: Option<Arc<dyn TokenStore>>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("config", &self.config)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Sends with this agent instead of a default one. Redirects stay off
    /// and the policy's timeout applies: both are set on every request.
    pub fn agent(mut self, agent: ureq::Agent) -> Self {
        self.transport = Some(Box::new(UreqTransport::with_agent(agent)));
        self
    }

    /// Sends with your own client (it must not follow redirects).
    pub fn transport(mut self, transport: impl BlockingTransport) -> Self {
        self.transport = Some(Box::new(transport));
        self
    }

    /// Calls `hook` for every [`Event`], on the thread that drove the
    /// exchange, with no lock held (it may call back into the manager).
    /// Events never carry a secret.
    pub fn on_event(mut self, hook: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.hook = Some(Box::new(hook));
        self
    }

    /// How long [`BlockingTokenManager::token`] waits when no valid token
    /// exists ([`DEFAULT_WAIT`] unless set).
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Where the wall clock is read (default `SystemTime::now`): tests use
    /// it to simulate a suspend.
    pub fn wall_clock(mut self, wall: WallClock) -> Self {
        self.wall = wall;
        self
    }

    /// Shares the session with every process using `store` (see
    /// [`revault_auth_shared::store`]): a saved usable token is served with
    /// no request (loaded by `build`), the store's update lock is held
    /// around every request that spends a refresh token or starts a
    /// session, a newer session found there is used instead of sending,
    /// and new tokens are saved before they are published. The store is
    /// called in place, by the caller that drives.
    #[must_use]
    pub fn with_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The manager. Nothing is sent until the first call for a token.
    pub fn build(self) -> BlockingTokenManager {
        let transport = self
            .transport
            .unwrap_or_else(|| Box::new(UreqTransport::new()));
        let publication = Arc::new(Publication::new(self.config.token_uri(), self.wall));
        let mut engine = Engine::new(self.config, Arc::clone(&publication), self.store);
        run_store_jobs(&mut engine);
        let inner = Inner {
            state: Mutex::new(State {
                engine,
                sending: false,
            }),
            changed: Condvar::new(),
            transport,
            hook: self.hook,
            refreshing: AtomicBool::new(false),
        };
        BlockingTokenManager {
            publication,
            inner: Arc::new(inner),
            wait: self.wait,
        }
    }
}

/// The token store's calls, in place, until none is needed (see
/// [`StoreLink`](revault_auth_shared::store::StoreLink)).
fn run_store_jobs(engine: &mut Engine) {
    while let Some(job) = engine.store_job(Instant::now()) {
        engine.store_done(Some(job.run()));
    }
}

impl BlockingTokenManager {
    /// Options: agent or transport, event callback, wait deadline, clock.
    pub fn builder(config: Config) -> Builder {
        Builder {
            config,
            transport: None,
            hook: None,
            wait: DEFAULT_WAIT,
            wall: WallClock::default(),
            store: None,
        }
    }

    /// A manager with a default ureq agent.
    pub fn new(config: Config) -> Result<Self, TokenError> {
        Ok(Self::builder(config).build())
    }

    /// A manager sending with your agent (redirects are still refused).
    pub fn with_agent(config: Config, agent: ureq::Agent) -> Result<Self, TokenError> {
        Ok(Self::builder(config).agent(agent).build())
    }

    /// A manager sending with your own client.
    pub fn with_transport(
        config: Config,
        transport: impl BlockingTransport,
    ) -> Result<Self, TokenError> {
        Ok(Self::builder(config).transport(transport).build())
    }

    /// Sets how long [`token`](Self::token) waits, for this handle, when no
    /// valid token exists before returning [`TokenError::TimedOut`]
    /// (default [`DEFAULT_WAIT`]).
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// A manager configured from `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET` (or
    /// `REVAULT_API_KEY_SECRET_FILE`, a file holding the secret, as secrets
    /// are mounted in containers).
    pub fn from_env() -> Result<Self, TokenError> {
        let config = revault_auth_shared::env::config_from_env()?.build()?;
        Self::new(config)
    }

    /// A valid token. Before its refresh point: one atomic load, a clone of
    /// this thread's copy and one monotonic clock read (no wall clock). Past it (or once a
    /// second, to compare the clocks): the first caller drives the core inline, the others keep
    /// the current token. With no valid token: waits up to the wait
    /// deadline, then [`TokenError::TimedOut`]; [`TokenError::Failed`] at
    /// once when the API key was refused. Blocks: see the crate docs before
    /// calling it from async code.
    pub fn token(&self) -> Result<TokenRef, TokenError> {
        let now = Instant::now();
        if let Some(token) = self.publication.try_token() {
            let checked = self.publication.checked_at(now);
            if checked && now < token.refresh_at() {
                return Ok(token);
            }
            if now < token.usable_until() {
                match self.inner.state.try_lock() {
                    Ok(state) => drop(self.exchange(state)),
                    Err(TryLockError::Poisoned(poisoned)) => {
                        drop(self.exchange(poisoned.into_inner()));
                    }
                    // Someone else is driving: keep serving the current token.
                    Err(TryLockError::WouldBlock) if checked => return Ok(token),
                    Err(TryLockError::WouldBlock) => {}
                }
                if let Some(token) = self.try_token() {
                    return Ok(token);
                }
            }
        }
        self.wait_for_token(now)
    }

    /// The published token if it is valid and the clocks were compared
    /// less than a second ago; never blocks or sends.
    pub fn try_token(&self) -> Option<TokenRef> {
        let now = Instant::now();
        let token = self.publication.try_token()?;
        (self.publication.checked_at(now) && now < token.usable_until()).then_some(token)
    }

    /// Like [`token`](Self::token), as an `Arc`.
    pub fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().map(TokenRef::into_owned)
    }

    /// `Bearer <jwt>` for the `Authorization` header (marked sensitive).
    pub fn authorization(&self) -> Result<HeaderValue, TokenError> {
        Ok(self.token()?.header_value().clone())
    }

    /// revault-api answered 401 to a call made with `token`: it is
    /// withdrawn at once and never served again, and the core always hears
    /// of it, so the next call gets a new one; reports about a token
    /// already replaced change nothing. Returns whether `token` was the one
    /// served until now. A token this manager did not serve last (another
    /// manager's) changes nothing.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let Some(served) = self.publication.reject(token) else {
            return false;
        };
        self.command(Command::Rejected(token.generation()));
        served
    }

    /// Withdraws the served token as if revault-api had rejected it, so the
    /// next call gets a new one (forced refreshes back to back follow the
    /// core's backoff).
    pub fn force_refresh(&self) {
        if let Some(token) = self.publication.try_token() {
            self.invalidate(&token);
        }
    }

    /// Replaces the API key (rotation, or recovery after the key was
    /// refused). The current token keeps being served until it is due.
    pub fn update_api_key(
        &self,
        api_key_id: impl Into<String>,
        api_key_secret: ApiKeySecret,
    ) -> Result<(), TokenError> {
        let id = api_key_id.into();
        let taken = self.ask(|answer| Command::UpdateApiKey(id, api_key_secret, answer));
        taken.ok_or(TokenError::Closed)??;
        Ok(())
    }

    /// Installs tokens from a token store and returns whether anything was
    /// installed (see `AuthCore::restore`); a usable saved token is served
    /// when this returns.
    pub fn restore(&self, saved: SavedTokens) -> bool {
        self.ask(|answer| Command::Restore(Box::new(saved), answer))
            .unwrap_or(false)
    }

    /// A snapshot of the current tokens for a token store; `None` when no
    /// access token is usable.
    pub fn export(&self) -> Option<SavedTokens> {
        self.ask(Command::Export).flatten()
    }

    /// A receiver for the core's events, the same as the async managers'
    /// (`blocking_recv` reads it from a thread).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.publication.subscribe()
    }

    /// Stops for good (for every handle): the token is dropped, nothing
    /// more is sent, and every caller gets [`TokenError::Closed`].
    pub fn shutdown(&self) {
        self.command(Command::Shutdown);
        self.publication.close();
        self.inner.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `command` as the async driver would, in place: settled
    /// before it is answered, so the caller sees what it published.
    fn command(&self, command: Command) {
        let mut state = self.lock();
        let now = Instant::now();
        state.engine.wake(now);
        let answer = match state.engine.apply(command, now) {
            Applied::Continue => None,
            Applied::Answer(answer) => Some(answer),
            Applied::Stop => {
                state.engine.close();
                None
            }
        };
        drop(self.settle(state, now));
        if let Some(answer) = answer {
            answer.send();
        }
    }

    /// A command that answers, and its answer.
    fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (answer, mut answered) = oneshot::channel();
        self.command(command(answer));
        answered.try_recv().ok()
    }

    /// The slow path: no valid token. Drives the core whenever nobody else
    /// is, and otherwise sleeps until the driver is done, the next backoff
    /// deadline, or the caller's own deadline.
    fn wait_for_token(&self, started: Instant) -> Result<TokenRef, TokenError> {
        let deadline = started.checked_add(self.wait);
        let mut state = self.lock();
        loop {
            let mut sent = false;
            if !state.sending {
                (state, sent) = self.exchange(state);
            }
            let now = Instant::now();
            if let Some(token) = self.try_token() {
                return Ok(token);
            }
            if let Some(Err(error)) = self.publication.outcome(started, deadline, now) {
                return Err(error);
            }
            if sent {
                continue;
            }
            // While another caller sends, its answer wakes this one.
            let mut wake = deadline.unwrap_or(now + Duration::from_secs(60));
            if !state.sending {
                wake = wake.min(state.engine.next_wake(now));
            }
            let sleep = wake
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            state = match self.inner.changed.wait_timeout(state, sleep) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Drives the engine once and sends at most one request, with the lock
    /// released while it is in flight. Never sleeps. Returns whether a
    /// request went out.
    fn exchange<'a>(&'a self, mut state: MutexGuard<'a, State>) -> (MutexGuard<'a, State>, bool) {
        if state.sending {
            return (state, false);
        }
        let now = Instant::now();
        state.engine.wake(now);
        // First demand, or nothing (the core starts once).
        let _started = state.engine.apply(Command::Start, now);
        run_store_jobs(&mut state.engine);
        state = self.settle(state, now);
        let now = now.max(Instant::now());
        let polled = match state.sending {
            true => None,
            false => state.engine.poll_request(now),
        };
        let Some((sent, request, limits)) = polled else {
            return (state, false);
        };
        state.sending = true;
        drop(state);

        // A panicking transport must not leave `sending` set for ever.
        let transport = &self.inner.transport;
        let answer = catch_unwind(AssertUnwindSafe(|| {
            sent.span().in_scope(|| transport.send(request, limits))
        }))
        .unwrap_or_else(|_| {
            tracing::warn!(request_id = sent.id().get(), "the transport panicked");
            Err(TransportErrorKind::Other.into())
        });

        let mut state = self.lock();
        state.sending = false;
        state.engine.feed(sent, answer);
        // Saved before published.
        run_store_jobs(&mut state.engine);
        (self.settle(state, Instant::now()), true)
    }

    /// Publishes, wakes waiters, then runs the event hook with the lock
    /// released.
    fn settle<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        now: Instant,
    ) -> MutexGuard<'a, State> {
        let events = state.engine.settle(now);
        self.inner.changed.notify_all();
        let Some(hook) = self.inner.hook.as_ref().filter(|_| !events.is_empty()) else {
            return state;
        };
        drop(state);
        for event in &events {
            hook(event);
        }
        self.lock()
    }

    /// For [`TokenSource`]: past the refresh point, drive one refresh on a
    /// thread of its own while the current token is served.
    fn refresh_in_background(&self) {
        if self.inner.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let manager = self.clone();
        let spawned = std::thread::Builder::new()
            .name("revault-auth-refresh".to_owned())
            .spawn(move || {
                let _ = manager.token();
                manager.inner.refreshing.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.inner.refreshing.store(false, Ordering::Release);
        }
    }
}

impl TokenSource for BlockingTokenManager {
    /// Never blocks: a published token at once (a refresh it is due for runs
    /// on another thread); otherwise [`token`](Self::token) runs on a
    /// thread of its own and the future waits for it.
    fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send {
        let manager = self.clone();
        async move {
            let now = Instant::now();
            if let Some(token) = manager.try_token() {
                if now >= token.refresh_at() {
                    manager.refresh_in_background();
                }
                return Ok(token);
            }
            let (answer, answered) = oneshot::channel();
            std::thread::Builder::new()
                .name("revault-auth-wait".to_owned())
                .spawn(move || drop(answer.send(manager.token())))
                .map_err(|_| TokenError::Closed)?;
            answered.await.unwrap_or(Err(TokenError::Closed))
        }
    }

    fn invalidate(&self, token: &AccessToken) -> bool {
        BlockingTokenManager::invalidate(self, token)
    }

    fn api(&self) -> &Uri {
        self.publication.api()
    }
}
