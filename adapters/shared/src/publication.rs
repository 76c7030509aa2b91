//! [`Publication`]: what a driver publishes and what callers read or wait
//! for.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;
use event_listener::EventListener;
use revault_auth_core::http::Uri;
use revault_auth_core::{
    AccessToken, AuthCore, AuthError, ErrorClass, Event, Phase, TokenError, TokenGeneration,
    TransportCause,
};
use tokio::sync::broadcast;

use crate::clock::{HEARTBEAT, WallClock};
use crate::token_ref::TokenRef;

/// Where publication ids come from (never reused in a process).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Events buffered per subscriber before the oldest are dropped.
pub const EVENT_CAPACITY: usize = 64;

/// Serializes the two writers of the token slot (the driver publishing,
/// callers withdrawing) so that a withdrawn generation cannot slip back in.
#[derive(Default)]
struct Writer {
    /// The newest generation reported rejected: never published again.
    rejected: u64,
    /// The core's `token_version` last published.
    version: Option<u64>,
    /// The last token published, to tell a report about it from a report
    /// about another manager's token of the same generation. Weak: a token
    /// nobody holds any more is gone (and zeroized), and nobody can report
    /// it either.
    issued: Weak<AccessToken>,
}

impl Writer {
    /// Whether `token` is the last token published here: the very value,
    /// or a copy of it (same generation and secret).
    fn issued(&self, token: &AccessToken) -> bool {
        if std::ptr::eq(self.issued.as_ptr(), token) {
            return true;
        }
        self.issued.upgrade().is_some_and(|issued| {
            issued.generation() == token.generation()
                && issued.secret().expose_secret() == token.secret().expose_secret()
        })
    }
}

/// What waiting callers look at once no token is published.
#[derive(Default)]
struct Status {
    /// An error to return at once: the core gave up, or the API key was
    /// refused and the core is only waiting for a slow retry or a new key.
    fatal: Option<AuthError>,
    /// The latest error, reported by a caller that timed out.
    last_error: Option<AuthError>,
    /// What the HTTP client said about the latest transport failure: the
    /// cause of `last_error` when that is a transport error.
    transport_cause: Option<TransportCause>,
}

/// The token, status and events a driver publishes from its
/// [`AuthCore`], shared by every handle of one manager.
pub struct Publication {
    token: ArcSwapOption<AccessToken>,
    /// This publication among all in the process (threads' copies are
    /// keyed by it).
    id: u64,
    /// Bumped after every store to `token`: a thread whose copy was made
    /// at this version may serve it without reading `token`.
    version: AtomicU64,
    writer: Mutex<Writer>,
    status: Mutex<Status>,
    closed: AtomicBool,
    demanded: AtomicBool,
    changed: event_listener::Event,
    /// Dropped on close, so that subscribers see the end.
    events: Mutex<Option<broadcast::Sender<Event>>>,
    /// Until when (nanoseconds after `epoch`) the last wall-clock check
    /// vouches that the machine did not sleep.
    checked_until: AtomicU64,
    epoch: Instant,
    wall: WallClock,
    api: Uri,
}

impl fmt::Debug for Publication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = self.token.load();
        f.debug_struct("Publication")
            .field("generation", &token.as_ref().map(|t| t.generation()))
            .field("fatal", &lock(&self.status).fatal)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Publication {
    /// An empty publication for a core built from a configuration whose
    /// token endpoint is `token_uri` (its origin is the API's).
    pub fn new(token_uri: &Uri, wall: WallClock) -> Self {
        Self {
            token: ArcSwapOption::empty(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            version: AtomicU64::new(0),
            writer: Mutex::default(),
            status: Mutex::default(),
            closed: AtomicBool::new(false),
            demanded: AtomicBool::new(false),
            changed: event_listener::Event::new(),
            events: Mutex::new(Some(broadcast::channel(EVENT_CAPACITY).0)),
            checked_until: AtomicU64::new(0),
            epoch: Instant::now(),
            wall,
            api: token_uri.clone(),
        }
    }

    // ----- readers -----------------------------------------------------------

    /// The published token: one atomic load and a clone of this thread's
    /// copy; no lock, no clock, no write to memory another thread writes
    /// while the token is unchanged.
    #[inline]
    pub fn try_token(&self) -> Option<TokenRef> {
        // Read before the slot (see `store`): a copy filed under this
        // version never holds an older token than the slot did then.
        let version = self.version.load(Ordering::Acquire);
        TokenRef::current(self.id, version, || self.token.load_full())
    }

    /// A per-thread reader of this publication's token.
    pub fn reader(self: &Arc<Self>) -> crate::TokenReader {
        crate::TokenReader::new(Arc::clone(self))
    }

    pub(crate) fn slot(&self) -> &ArcSwapOption<AccessToken> {
        &self.token
    }

    /// Whether the last wall-clock check still vouches for `now` (one
    /// relaxed load). Readers that have no driver re-reading the clocks
    /// call it before serving a token; past it, the wall clock must be
    /// compared again ([`settle`](Self::settle) does).
    #[inline]
    pub fn checked_at(&self, now: Instant) -> bool {
        self.nanos(now) < self.checked_until.load(Ordering::Relaxed)
    }

    /// The API's token endpoint (scheme, host and port are the API's).
    pub fn api(&self) -> &Uri {
        &self.api
    }

    /// The wall clock this manager reads.
    pub fn wall_clock(&self) -> &WallClock {
        &self.wall
    }

    /// The wall clock now.
    pub fn wall(&self) -> SystemTime {
        self.wall.now()
    }

    /// A receiver for the core's events from now on. A slow receiver loses
    /// the oldest past [`EVENT_CAPACITY`]; none carries a secret.
    /// After the driver stopped, the receiver reports the end at once.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        match &*lock(&self.events) {
            Some(sender) => sender.subscribe(),
            None => broadcast::channel(1).1,
        }
    }

    /// Whether the driver has stopped.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Records the first demand for a token; `true` only the first time.
    pub fn demand(&self) -> bool {
        !self.demanded.load(Ordering::Relaxed) && !self.demanded.swap(true, Ordering::AcqRel)
    }

    /// Listens for the next change (a token, a failure, the end).
    pub fn listen(&self) -> EventListener {
        self.changed.listen()
    }

    /// What a caller waiting since `started` gets now, if its wait is over:
    /// the token, the error the API key drew, `Closed`, or `TimedOut` past
    /// `deadline`. `None`: keep waiting.
    pub fn outcome(
        &self,
        started: Instant,
        deadline: Option<Instant>,
        now: Instant,
    ) -> Option<Result<TokenRef, TokenError>> {
        if let Some(token) = self.try_token() {
            return Some(Ok(token));
        }
        if self.is_closed() {
            return Some(Err(TokenError::Closed));
        }
        let status = lock(&self.status);
        if let Some(error) = &status.fatal {
            return Some(Err(TokenError::Failed(error.clone())));
        }
        deadline.filter(|deadline| now >= *deadline).map(|_| {
            let cause = match &status.last_error {
                Some(AuthError::Transport(_)) => status.transport_cause.clone(),
                _ => None,
            };
            Err(TokenError::TimedOut {
                waited: now.saturating_duration_since(started),
                last_error: status.last_error.clone(),
                cause,
            })
        })
    }

    /// Waits up to `wait` for an [`outcome`](Self::outcome), sleeping with
    /// the runtime's own timer (`sleep_until`).
    pub async fn wait<F: Future<Output = ()>>(
        &self,
        wait: Duration,
        sleep_until: impl Fn(Instant) -> F,
    ) -> Result<TokenRef, TokenError> {
        let started = Instant::now();
        let deadline = started.checked_add(wait);
        loop {
            let listener = self.listen();
            if let Some(outcome) = self.outcome(started, deadline, Instant::now()) {
                return outcome;
            }
            match deadline {
                Some(deadline) => futures_lite::future::or(listener, sleep_until(deadline)).await,
                None => listener.await,
            }
        }
    }

    /// Waits until the driver has stopped.
    pub async fn closed(&self) {
        loop {
            let listener = self.listen();
            if self.is_closed() {
                return;
            }
            listener.await;
        }
    }

    // ----- writers -----------------------------------------------------------

    /// Keeps what the HTTP client said about the transport failure the
    /// core is about to hear of (`None` after an answer), to hand to
    /// callers that time out with it.
    pub fn note_transport_cause(&self, cause: Option<TransportCause>) {
        lock(&self.status).transport_cause = cause;
    }

    /// revault-api answered 401 to a call made with `token`. When `token`
    /// is the last one published here (the value or a copy of it), it and
    /// every older generation are withdrawn as by
    /// [`withdraw`](Self::withdraw), which answers: `Some(served)`; the
    /// caller must still tell the core. `None`: not this publication's
    /// current token (another manager's, whose generations count from 1
    /// too, or one already replaced), so nothing changes and the core need
    /// not hear of it.
    pub fn reject(&self, token: &AccessToken) -> Option<bool> {
        let mut writer = lock(&self.writer);
        writer
            .issued(token)
            .then(|| self.withdraw_locked(&mut writer, token.generation()))
    }

    /// revault-api answered 401 to `generation` of this publication's
    /// tokens: that token and every older one is withdrawn now and never
    /// published again. Returns whether the token served until now was that
    /// generation. The driver must still tell the core
    /// ([`AuthCore::handle_rejected`]). A report that may be about another
    /// manager's token goes through [`reject`](Self::reject).
    pub fn withdraw(&self, generation: TokenGeneration) -> bool {
        self.withdraw_locked(&mut lock(&self.writer), generation)
    }

    fn withdraw_locked(&self, writer: &mut Writer, generation: TokenGeneration) -> bool {
        writer.rejected = writer.rejected.max(generation.get());
        let current = self.token.load();
        let served = current
            .as_ref()
            .is_some_and(|token| token.generation() == generation);
        if current
            .as_ref()
            .is_some_and(|token| token.generation().get() <= writer.rejected)
        {
            self.store(None);
        }
        served
    }

    /// After any input to the core (and after sending what it asked to
    /// send): drains its events, records its status, publishes its token
    /// when it changed (never a withdrawn generation), records that the
    /// clocks were compared at `now`, wakes waiting callers, then hands the
    /// events to subscribers (after the token they announce is published)
    /// and returns them.
    pub fn settle(&self, core: &mut AuthCore, now: Instant) -> Vec<Event> {
        let events: Vec<Event> = std::iter::from_fn(|| core.poll_event()).collect();
        {
            let mut status = lock(&self.status);
            status.last_error = core.last_error().cloned();
            status.fatal = fatal(core);
        }
        self.publish(core, now);
        let checked = self
            .nanos(now)
            .saturating_add(millis(HEARTBEAT) * 1_000_000);
        self.checked_until.store(checked, Ordering::Relaxed);
        self.changed.notify(usize::MAX);
        if let Some(sender) = &*lock(&self.events) {
            for event in &events {
                // No subscriber is not an error.
                let _ = sender.send(event.clone());
            }
        }
        events
    }

    /// The driver stopped: nothing is served any more and every waiting
    /// caller gets [`TokenError::Closed`].
    pub fn close(&self) {
        self.store(None);
        self.closed.store(true, Ordering::Release);
        self.changed.notify(usize::MAX);
        lock(&self.events).take();
    }

    fn publish(&self, core: &AuthCore, now: Instant) {
        let version = core.token_version();
        let mut writer = lock(&self.writer);
        if writer.version == Some(version) {
            return;
        }
        writer.version = Some(version);
        let rejected = writer.rejected;
        let token = core
            .access_token(now)
            .filter(|token| token.generation().get() > rejected)
            .cloned()
            .map(Arc::new);
        if let Some(token) = &token {
            writer.issued = Arc::downgrade(token);
        }
        self.store(token);
    }

    /// The only write to the slot: the version is bumped after the token is
    /// in place, so a reader that sees the new version sees the new token.
    fn store(&self, token: Option<Arc<AccessToken>>) {
        self.token.store(token);
        self.version.fetch_add(1, Ordering::Release);
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The error callers get at once: a terminal failure, or a refused API key
/// the core is only waiting to retry slowly (no request in flight).
fn fatal(core: &AuthCore) -> Option<AuthError> {
    if let Some(failure) = core.failure() {
        return Some(failure.clone());
    }
    let refused = |error: &&AuthError| {
        matches!(
            error.class(),
            ErrorClass::CredentialsRejected | ErrorClass::InvalidRequest
        )
    };
    match core.phase() {
        Phase::Waiting | Phase::Failed => core.last_error().filter(refused).cloned(),
        _ => None,
    }
}
