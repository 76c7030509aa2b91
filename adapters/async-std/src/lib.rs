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
//!     let token = tokens.token_owned().await?;
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
//! [`async_channel`], waiting callers are woken through [`event_listener`].
//! The constructors need no runtime and work from any thread. The driver
//! stops on [`TokenManager::shutdown`] or when the manager is dropped.
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
//! [`TokenManager::try_token`] is one `ArcSwap` load plus a clock read: the
//! token is served until its safety floor, and not after a suspend that
//! the monotonic clock missed (the driver then re-reads the clocks).
//! [`TokenManager::token`] waits only when no valid token exists, up to 30
//! s by default, and fails at once with [`TokenError::Failed`] when the API
//! key was rejected.
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
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::{ArcSwapOption, Guard};
use async_channel::{Receiver, Sender};
use async_io::Timer;
use futures_lite::FutureExt;
use revault_auth_core::http::{HeaderValue, Request, Response};
use revault_auth_core::{
    AuthCore, AuthError, BlockingTransport, Limits, Phase, PublishedToken, RequestId,
    TransportErrorKind,
};

pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AsyncTransport, Config, Event, TokenError, TokenGeneration,
};

/// How long [`TokenManager::token`] waits for a token by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Events buffered per subscriber before the oldest are dropped.
pub const EVENT_CAPACITY: usize = 64;

type Answer = Result<Response<Vec<u8>>, TransportErrorKind>;
type Sending<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

#[derive(Default)]
struct Status {
    failure: Option<AuthError>,
    last_error: Option<AuthError>,
    closed: bool,
}

/// What the manager and the driver share.
struct Shared {
    published: ArcSwapOption<PublishedToken>,
    status: Mutex<Status>,
    subscribers: Mutex<Vec<Sender<Event>>>,
    changed: event_listener::Event,
    demanded: AtomicBool,
    nudged: AtomicBool,
    /// The newest generation withdrawn by `invalidate`: never republished,
    /// even before the driver has told the core.
    rejected: AtomicU64,
    tolerance: Duration,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn close(&self) {
        self.published.store(None);
        lock(&self.status).closed = true;
        self.changed.notify(usize::MAX);
    }
}

enum Command {
    /// A caller wants a token: start the core.
    Demand,
    /// The wall clock says the machine slept: re-read the clocks.
    Nudge,
    /// revault-api answered 401 to this generation.
    Rejected(TokenGeneration),
    Shutdown,
}

/// Keeps a valid revault-api token, refreshed by a driver on its own
/// thread. See the crate docs. To share it, put it in an `Arc`; the driver
/// stops on [`shutdown`](Self::shutdown) or when the manager is dropped.
pub struct TokenManager {
    shared: Arc<Shared>,
    commands: Sender<Command>,
    wait: Duration,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let published = self.shared.published.load();
        f.debug_struct("TokenManager")
            .field("token", &published.as_deref().map(|p| p.token()))
            .field("wait", &self.wait)
            .finish_non_exhaustive()
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
    /// Starts the driver thread; fails with [`TokenError::Closed`] if it
    /// cannot be spawned. Nothing is sent before the first call for a token
    /// unless the configuration is eager.
    pub fn with_transport(
        config: Config,
        transport: impl AsyncTransport,
    ) -> Result<Self, TokenError> {
        let shared = Arc::new(Shared {
            published: ArcSwapOption::empty(),
            status: Mutex::default(),
            subscribers: Mutex::default(),
            changed: event_listener::Event::new(),
            demanded: AtomicBool::new(false),
            nudged: AtomicBool::new(false),
            rejected: AtomicU64::new(0),
            tolerance: config.policy().suspend_tolerance,
        });
        let (commands, receiver) = async_channel::unbounded();
        let driver = Driver {
            core: AuthCore::new(config, Instant::now()),
            published_version: 0,
            shared: Arc::clone(&shared),
            commands: receiver,
        };
        std::thread::Builder::new()
            .name("revault-auth".to_owned())
            .spawn(move || async_io::block_on(driver.run(transport)))
            .map_err(|_| TokenError::Closed)?;
        Ok(Self {
            shared,
            commands,
            wait: DEFAULT_WAIT,
        })
    }

    /// Sets how long [`token`](Self::token) waits when no valid token
    /// exists before returning [`TokenError::TimedOut`] (default
    /// [`DEFAULT_WAIT`]). The driver keeps trying after a caller gives up.
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The published token if it is valid: no lock, no allocation, no
    /// reference-count increment. Never starts authentication.
    pub fn try_token(&self) -> Option<TokenRef> {
        let now = Instant::now();
        let guard = self.shared.published.load();
        let published = guard.as_deref()?;
        if published.usable(now, SystemTime::now(), self.shared.tolerance) {
            return Some(TokenRef(guard));
        }
        // The machine slept: have the driver re-read the clocks.
        if now < published.usable_until() && !self.shared.nudged.swap(true, Ordering::AcqRel) {
            let _ = self.commands.try_send(Command::Nudge);
        }
        None
    }

    /// A valid token: at once when one is published; otherwise starts the
    /// driver on first demand and waits for a token, a terminal failure
    /// ([`TokenError::Failed`]) or the wait deadline
    /// ([`TokenError::TimedOut`], with the last transient error).
    pub async fn token(&self) -> Result<TokenRef, TokenError> {
        if let Some(token) = self.try_token() {
            return Ok(token);
        }
        let started = Instant::now();
        let deadline = started.checked_add(self.wait);
        if !self.shared.demanded.swap(true, Ordering::AcqRel) {
            let _ = self.commands.try_send(Command::Demand);
        }
        loop {
            let listener = self.shared.changed.listen();
            if let Some(token) = self.try_token() {
                return Ok(token);
            }
            let now = Instant::now();
            {
                let status = lock(&self.shared.status);
                if let Some(error) = &status.failure {
                    return Err(TokenError::Failed(error.clone()));
                }
                if status.closed {
                    return Err(TokenError::Closed);
                }
                if deadline.is_some_and(|deadline| now >= deadline) {
                    let waited = now.saturating_duration_since(started);
                    return Err(TokenError::TimedOut {
                        waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                        last_error: status.last_error.clone(),
                    });
                }
            }
            match deadline {
                Some(deadline) => {
                    let timeout = async {
                        Timer::at(deadline).await;
                    };
                    listener.or(timeout).await;
                }
                None => listener.await,
            }
        }
    }

    /// Like [`token`](Self::token), as an `Arc` to keep across `.await`s.
    pub async fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().await.map(TokenRef::into_owned)
    }

    /// `Bearer <jwt>` for the `Authorization` header (marked sensitive).
    pub async fn authorization(&self) -> Result<HeaderValue, TokenError> {
        Ok(self.token().await?.header_value().clone())
    }

    /// revault-api answered 401 to a call made with `token`: it is
    /// withdrawn at once if it is still the one served, and the driver gets
    /// a new one. Reports about a token already replaced or withdrawn
    /// change nothing, so many failing calls cause one refresh. Returns
    /// whether this call withdrew the token.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let generation = token.generation();
        let current = self.shared.published.load();
        if current.as_ref().map(|p| p.generation()) != Some(generation) {
            return false;
        }
        let previous = self.shared.published.compare_and_swap(&*current, None);
        let withdrawn = match (previous.as_ref(), current.as_ref()) {
            (Some(previous), Some(current)) => Arc::ptr_eq(previous, current),
            _ => false,
        };
        if withdrawn {
            self.shared
                .rejected
                .fetch_max(generation.get(), Ordering::AcqRel);
            let _ = self.commands.try_send(Command::Rejected(generation));
        }
        withdrawn
    }

    /// A receiver for the core's events (tokens obtained, retries, expiry,
    /// failure), none carrying a secret. Each subscriber gets every event
    /// from now on; past [`EVENT_CAPACITY`] unread ones, the oldest are
    /// dropped.
    pub fn subscribe(&self) -> Receiver<Event> {
        let (sender, receiver) = async_channel::bounded(EVENT_CAPACITY);
        lock(&self.shared.subscribers).push(sender);
        receiver
    }

    /// Stops the driver for good and waits until it has: the token is
    /// dropped, nothing more is sent, and an in-flight request is abandoned.
    /// Dropping the manager stops it too, without waiting.
    pub async fn shutdown(self) {
        let _ = self.commands.try_send(Command::Shutdown);
        loop {
            let listener = self.shared.changed.listen();
            if lock(&self.shared.status).closed {
                return;
            }
            listener.await;
        }
    }
}

/// A published token, borrowed for a short while (an `arc_swap` guard).
/// Dereferences to [`AccessToken`]. Drop it soon; convert it with
/// [`into_owned`](Self::into_owned) to keep it across `.await`s.
pub struct TokenRef(Guard<Option<Arc<PublishedToken>>>);

impl TokenRef {
    /// The token as an `Arc` (one reference-count increment).
    pub fn into_owned(self) -> Arc<AccessToken> {
        match self.0.as_deref() {
            Some(published) => Arc::clone(published.token()),
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl Deref for TokenRef {
    type Target = AccessToken;

    fn deref(&self) -> &AccessToken {
        match self.0.as_deref() {
            Some(published) => published.token(),
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl fmt::Debug for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The loop around the core, on its own thread.
struct Driver {
    core: AuthCore,
    /// The core's `token_version` when the token was last published.
    published_version: u64,
    shared: Arc<Shared>,
    commands: Receiver<Command>,
}

/// What woke the driver.
enum Wake {
    Answer(Answer),
    Timer,
    Command(Option<Command>),
}

/// Marks the manager closed however the driver ends, even by a panic.
struct CloseOnExit(Arc<Shared>);

impl Drop for CloseOnExit {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl Driver {
    async fn run(mut self, transport: impl AsyncTransport) {
        let _close = CloseOnExit(Arc::clone(&self.shared));
        let mut in_flight: Option<(RequestId, Sending<'_>)> = None;
        let mut republish = false;
        loop {
            let now = Instant::now();
            self.core.handle_wall_clock(now, SystemTime::now());
            self.core.handle_timeout(now);
            // The core gave up on the request (its own deadline): drop it.
            if in_flight.as_ref().map(|(id, _)| *id) != self.core.in_flight().map(|(id, _)| id) {
                in_flight = None;
            }
            if in_flight.is_none()
                && let Some(transmit) = self.core.poll_transmit(now)
            {
                let (id, limits) = (transmit.id, transmit.limits());
                tracing::debug!(request_id = id.get(), purpose = ?transmit.purpose, "sending token request");
                in_flight = Some((
                    id,
                    Box::pin(transport.send(transmit.into_request(), limits)),
                ));
            }
            self.settle(now, std::mem::take(&mut republish));
            if self.core.phase() == Phase::Closed {
                return;
            }
            let deadline = self.core.poll_timeout();
            let answer = async {
                match in_flight.as_mut() {
                    Some((_, request)) => Wake::Answer(request.as_mut().await),
                    None => std::future::pending().await,
                }
            };
            let timer = async {
                match deadline {
                    Some(deadline) => {
                        Timer::at(deadline).await;
                        Wake::Timer
                    }
                    None => std::future::pending().await,
                }
            };
            let command = async { Wake::Command(self.commands.recv().await.ok()) };
            let wake = answer.or(timer).or(command).await;
            let now = Instant::now();
            match wake {
                Wake::Answer(answer) => {
                    if let Some((id, _)) = in_flight.take() {
                        match &answer {
                            Ok(response) => {
                                let status = response.status().as_u16();
                                tracing::debug!(request_id = id.get(), status, "answer");
                            }
                            Err(kind) => {
                                tracing::debug!(request_id = id.get(), error = %kind, "transport error");
                            }
                        }
                        match answer {
                            Ok(response) => self.core.handle_response(id, response, now),
                            Err(kind) => self.core.handle_transport_error(id, kind, now),
                        };
                    }
                }
                Wake::Timer => {}
                Wake::Command(Some(Command::Demand)) => self.core.start(now),
                Wake::Command(Some(Command::Nudge)) => {
                    self.shared.nudged.store(false, Ordering::Release);
                    republish = true;
                }
                Wake::Command(Some(Command::Rejected(generation))) => {
                    self.core.handle_rejected(generation, now);
                }
                Wake::Command(Some(Command::Shutdown) | None) => self.core.close(),
            }
        }
    }

    /// Drains events, records failures for waiters, publishes the token and
    /// wakes the callers.
    fn settle(&mut self, now: Instant, republish: bool) {
        let mut events = Vec::new();
        {
            let mut status = lock(&self.shared.status);
            while let Some(event) = self.core.poll_event() {
                tracing::debug!(?event, "token event");
                events.push(event);
            }
            status.failure = self.core.failure().cloned();
            status.last_error = self.core.last_error().cloned();
        }
        self.publish(now, republish);
        self.shared.changed.notify(usize::MAX);
        // After publishing, so a subscriber told of a new token gets it. A
        // full queue drops its oldest event; a dropped receiver its queue.
        let mut subscribers = lock(&self.shared.subscribers);
        for event in events {
            subscribers.retain(|subscriber| subscriber.force_send(event.clone()).is_ok());
        }
    }

    /// Publishes the core's token when it changed (a new token, deadlines
    /// moved after a suspend, or none any more), or restamps it when a
    /// reader saw the machine sleep. A generation `invalidate` withdrew is
    /// never republished, even before the core has heard of it.
    fn publish(&mut self, now: Instant, republish: bool) {
        let version = self.core.token_version();
        if !republish && version == self.published_version {
            return;
        }
        self.published_version = version;
        let rejected = self.shared.rejected.load(Ordering::Acquire);
        let current = self
            .core
            .access_token(now)
            .filter(|token| token.generation().get() > rejected);
        let wall = SystemTime::now();
        self.shared
            .published
            .store(current.map(|token| Arc::new(PublishedToken::new(token, now, wall))));
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
