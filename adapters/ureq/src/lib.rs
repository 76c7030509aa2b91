//! # revault-auth-ureq
//!
//! A blocking token manager for revault-api over [ureq] 3, with no
//! background thread: [`BlockingTokenManager::token`] returns the published
//! token with one atomic load, and the first caller past the refresh point
//! refreshes it inline while every other caller keeps getting the current
//! token. Only when no valid token exists do callers wait, up to a deadline
//! (30 s by default).
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
//! `revault-auth-async-std` there, or move the call to a blocking thread:
//!
//! ```no_run
//! use std::sync::Arc;
//! use revault_auth_ureq::BlockingTokenManager;
//!
//! async fn handler(
//!     tokens: Arc<BlockingTokenManager>,
//! ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     // Not `tokens.authorization()` here: it would block the executor.
//!     let header = tokio::task::spawn_blocking(move || tokens.authorization()).await??;
//!     // ... send the request with `header` ...
//!     # let _ = header;
//!     Ok(())
//! }
//! ```
//!
//! ## What it guarantees
//! - One request at a time, process-wide for this manager: 64 threads
//!   calling at cold start or at expiry cause one `POST /auth/token`.
//! - Redirects are never followed (also with your own [`ureq::Agent`]: the
//!   rule is applied to every request), bodies are read up to the
//!   configured cap, and each exchange has the policy's timeout.
//! - Event callbacks run on the thread that drove the exchange, with no
//!   lock held: they may call back into the manager.
//!
//! ## Logs
//! `tracing` debug events, target `revault_auth_ureq`: `sending token request`
//! (`request_id`, `purpose`), `answer` (`request_id`, `status`),
//! `transport error` (`request_id`, `error`) and `token event` (the core's
//! [`Event`], which carries no secret). No body, header or token is ever
//! logged.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;
use std::io::Read;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::{ArcSwapOption, Guard};
use revault_auth_core::http::{HeaderValue, Request, Response};
use revault_auth_core::{AuthCore, Limits, Phase, PublishedToken, TransportErrorKind, is_loopback};

use zeroize::Zeroize;

pub use revault_auth_core::{
    AccessToken, ApiKeySecret, BlockingTransport, Config, Event, TokenError, TokenGeneration,
};

/// How long [`BlockingTokenManager::token`] waits for a token by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

type Hook = Box<dyn Fn(&Event) + Send + Sync>;

/// A token borrowed from the manager: no lock, no allocation, no
/// reference-count increment (an `arc_swap` guard). Dereferences to
/// [`AccessToken`]. Keep it for one request and drop it; convert it with
/// [`into_owned`](Self::into_owned) to keep it longer.
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
            // A `TokenRef` is only built around a published token.
            None => unreachable!("a TokenRef always holds a token"),
        }
    }
}

impl fmt::Debug for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Keeps a valid revault-api token for blocking code. See the crate docs.
/// To share it between threads, put it in an `Arc`.
pub struct BlockingTokenManager {
    published: ArcSwapOption<PublishedToken>,
    state: Mutex<State>,
    changed: Condvar,
    transport: Box<dyn BlockingTransport>,
    hook: Option<Hook>,
    wait: Duration,
    tolerance: Duration,
}

struct State {
    core: AuthCore,
    /// A request is in flight (the lock is released while it is).
    sending: bool,
    /// The core's `token_version` when the token was last published.
    published_version: u64,
}

impl fmt::Debug for BlockingTokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let published = self.published.load();
        f.debug_struct("BlockingTokenManager")
            .field("token", &published.as_deref().map(|p| p.token()))
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
    /// exchange, with no lock held. Events never carry a secret.
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

    /// The manager. Nothing is sent until the first call for a token.
    pub fn build(self) -> BlockingTokenManager {
        let transport = self
            .transport
            .unwrap_or_else(|| Box::new(UreqTransport::new()));
        let now = Instant::now();
        BlockingTokenManager {
            published: ArcSwapOption::empty(),
            tolerance: self.config.policy().suspend_tolerance,
            state: Mutex::new(State {
                core: AuthCore::new(self.config, now),
                sending: false,
                published_version: 0,
            }),
            changed: Condvar::new(),
            transport,
            hook: self.hook,
            wait: self.wait,
        }
    }
}

impl BlockingTokenManager {
    /// Options: agent or transport, event callback, wait deadline.
    pub fn builder(config: Config) -> Builder {
        Builder {
            config,
            transport: None,
            hook: None,
            wait: DEFAULT_WAIT,
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

    /// Sets how long [`token`](Self::token) waits when no valid token
    /// exists before returning [`TokenError::TimedOut`] (default
    /// [`DEFAULT_WAIT`]).
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// A manager configured from `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET`.
    pub fn from_env() -> Result<Self, TokenError> {
        let config = Config::from_env_with(|name| std::env::var(name).ok())?.build()?;
        Self::new(config)
    }

    /// A valid token. Before its refresh point: one atomic load. Past it:
    /// the first caller refreshes inline, the others keep the current
    /// token. With no valid token: waits up to the wait deadline, then
    /// [`TokenError::TimedOut`]; [`TokenError::Failed`] at once when the
    /// API key was rejected. Blocks: see the crate docs before calling it
    /// from async code.
    pub fn token(&self) -> Result<TokenRef, TokenError> {
        let now = Instant::now();
        let guard = self.published.load();
        if let Some(published) = guard.as_deref().filter(|p| now < p.usable_until()) {
            let slept = published.slept(now, SystemTime::now(), self.tolerance);
            if !slept && now < published.refresh_at() {
                return Ok(TokenRef(guard));
            }
            match self.state.try_lock() {
                Ok(state) => drop(self.exchange(state, slept)),
                Err(TryLockError::Poisoned(poisoned)) => {
                    drop(self.exchange(poisoned.into_inner(), slept));
                }
                // Someone else is driving: keep serving the current token.
                Err(TryLockError::WouldBlock) if !slept => return Ok(TokenRef(guard)),
                Err(TryLockError::WouldBlock) => {}
            }
            if let Some(token) = self.try_token() {
                return Ok(token);
            }
        }
        self.wait_for_token(now)
    }

    /// The published token if it is valid and fresh; never blocks or sends.
    pub fn try_token(&self) -> Option<TokenRef> {
        let now = Instant::now();
        let guard = self.published.load();
        let usable = guard
            .as_deref()
            .is_some_and(|published| published.usable(now, SystemTime::now(), self.tolerance));
        usable.then_some(TokenRef(guard))
    }

    /// Like [`token`](Self::token), as an `Arc` to keep for longer.
    pub fn token_owned(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.token().map(TokenRef::into_owned)
    }

    /// `Bearer <jwt>` for the `Authorization` header (marked sensitive).
    pub fn authorization(&self) -> Result<HeaderValue, TokenError> {
        Ok(self.token()?.header_value().clone())
    }

    /// revault-api answered 401 to a call made with `token`: drop it so the
    /// next call gets a new one. Reports about a token already replaced
    /// change nothing, so many failing calls cause one refresh. Returns
    /// whether the token was dropped.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let mut state = self.lock();
        let now = Instant::now();
        let dropped = state.core.handle_rejected(token.generation(), now);
        drop(self.settle(state, now, false));
        dropped
    }

    /// Stops for good: the token is dropped, nothing more is sent, and
    /// every caller gets [`TokenError::Closed`].
    pub fn shutdown(&self) {
        let mut state = self.lock();
        state.core.close();
        drop(self.settle(state, Instant::now(), false));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The slow path: no valid token. Drives the core whenever nobody else
    /// is, and otherwise sleeps until the driver is done, the next backoff
    /// deadline, or the caller's own deadline.
    fn wait_for_token(&self, started: Instant) -> Result<TokenRef, TokenError> {
        let deadline = started.checked_add(self.wait);
        let mut state = self.lock();
        loop {
            if let Some(token) = self.try_token() {
                return Ok(token);
            }
            if let Some(error) = state.core.failure() {
                return Err(TokenError::Failed(error.clone()));
            }
            if state.core.phase() == Phase::Closed {
                return Err(TokenError::Closed);
            }
            if !state.sending {
                let sent;
                (state, sent) = self.exchange(state, true);
                if sent {
                    continue;
                }
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                let waited = now.saturating_duration_since(started);
                return Err(TokenError::TimedOut {
                    waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                    last_error: state.core.last_error().cloned(),
                });
            }
            let next = match state.sending {
                true => None,
                false => state.core.poll_timeout(),
            };
            let wake = match (next, deadline) {
                (Some(next), Some(deadline)) => Some(next.min(deadline)),
                (next, deadline) => next.or(deadline),
            };
            let sleep = wake
                .map_or(Duration::from_secs(60), |wake| {
                    wake.saturating_duration_since(now)
                })
                .max(Duration::from_millis(1));
            state = match self.changed.wait_timeout(state, sleep) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Feeds the clocks to the core and sends at most one request, with the
    /// lock released while it is in flight. Never sleeps. Returns whether a
    /// request went out.
    fn exchange<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        republish: bool,
    ) -> (MutexGuard<'a, State>, bool) {
        if state.sending {
            return (state, false);
        }
        let now = Instant::now();
        state.core.handle_wall_clock(now, SystemTime::now());
        state.core.start(now);
        state.core.handle_timeout(now);
        state = self.settle(state, now, republish);
        if state.sending {
            return (state, false);
        }
        let Some(transmit) = state.core.poll_transmit(now) else {
            return (state, false);
        };
        state.sending = true;
        drop(state);

        let (id, purpose, limits) = (transmit.id, transmit.purpose, transmit.limits());
        let request = transmit.into_request();
        tracing::debug!(request_id = id.get(), ?purpose, "sending token request");
        // A panicking transport must not leave `sending` set for ever.
        let result = catch_unwind(AssertUnwindSafe(|| self.transport.send(request, limits)))
            .unwrap_or(Err(TransportErrorKind::Other));
        match &result {
            Ok(response) => {
                tracing::debug!(
                    request_id = id.get(),
                    status = response.status().as_u16(),
                    "answer"
                );
            }
            Err(kind) => tracing::debug!(request_id = id.get(), error = %kind, "transport error"),
        }

        let mut state = self.lock();
        let now = Instant::now();
        state.sending = false;
        match result {
            Ok(response) => state.core.handle_response(id, response, now),
            Err(kind) => state.core.handle_transport_error(id, kind, now),
        };
        (self.settle(state, now, false), true)
    }

    /// Drains events, publishes the token, wakes waiters, then runs the
    /// event hook with the lock released.
    fn settle<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        now: Instant,
        republish: bool,
    ) -> MutexGuard<'a, State> {
        let mut events = Vec::new();
        while let Some(event) = state.core.poll_event() {
            tracing::debug!(?event, "token event");
            if self.hook.is_some() {
                events.push(event);
            }
        }
        self.publish(&mut state, now, republish);
        self.changed.notify_all();
        let Some(hook) = self.hook.as_ref().filter(|_| !events.is_empty()) else {
            return state;
        };
        drop(state);
        for event in &events {
            hook(event);
        }
        self.lock()
    }

    /// Publishes the core's token when it changed (a new token, deadlines
    /// moved after a suspend, or none any more), or restamps it when a
    /// reader saw the machine sleep.
    fn publish(&self, state: &mut State, now: Instant, republish: bool) {
        let version = state.core.token_version();
        if republish || version != state.published_version {
            state.published_version = version;
            let current = state.core.access_token(now);
            let wall = SystemTime::now();
            self.published
                .store(current.map(|token| Arc::new(PublishedToken::new(token, now, wall))));
        }
    }
}

/// The default transport: a ureq 3 [`ureq::Agent`] that never follows
/// redirects, answers 3xx/4xx/5xx as responses, times out after the
/// policy's request timeout and reads at most `max_body` bytes. Refuses
/// plain `http://` to a host that is not loopback.
#[derive(Clone, Debug)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqTransport {
    /// A transport with its own agent.
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build();
        Self::with_agent(ureq::Agent::new_with_config(config))
    }

    /// A transport over your agent; the rules above are applied to each
    /// request, whatever the agent's own configuration.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        Self { agent }
    }
}

impl BlockingTransport for UreqTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> Result<Response<Vec<u8>>, TransportErrorKind> {
        let uri = request.uri();
        let secure = uri.scheme_str() == Some("https")
            || (uri.scheme_str() == Some("http") && uri.host().is_some_and(is_loopback));
        if !secure {
            return Err(TransportErrorKind::Other);
        }
        let request = self
            .agent
            .configure_request(request)
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(limits.timeout))
            .build();
        let (parts, body) = self.agent.run(request).map_err(kind)?.into_parts();
        let cap = u64::try_from(limits.max_body).unwrap_or(u64::MAX);
        let mut bytes = Vec::new();
        let read = body
            .into_reader()
            .take(cap.saturating_add(1))
            .read_to_end(&mut bytes);
        if let Err(error) = read {
            bytes.zeroize();
            return Err(kind(ureq::Error::from(error)));
        }
        if bytes.len() > limits.max_body {
            bytes.zeroize();
            return Err(TransportErrorKind::BodyTooLarge);
        }
        Ok(Response::from_parts(parts, bytes))
    }
}

fn kind(error: ureq::Error) -> TransportErrorKind {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::Tls(_) => {
            TransportErrorKind::Connect
        }
        ureq::Error::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        ureq::Error::Io(error) => match error.kind() {
            ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable => {
                TransportErrorKind::Connect
            }
            ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        },
        ureq::Error::Protocol(_) => TransportErrorKind::Io,
        _ => TransportErrorKind::Other,
    }
}
