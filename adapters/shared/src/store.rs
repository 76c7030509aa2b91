//! Sharing one session between processes through a [`TokenStore`]: the
//! protocol of `revault_auth_store`, written once for every manager.
//!
//! [`StoreLink`] decides which store call comes next
//! ([`StoreLink::next_job`]) and applies its outcome
//! ([`StoreLink::finish`]); it never calls the store itself. The manager
//! runs each [`StoreJob`] where it wants: an async driver on its runtime's
//! blocking pool while its timers and commands go on (a store that takes
//! its time cannot keep a token served past its deadline), the blocking
//! manager in place.
//!
//! What a manager with a store promises:
//! - **Start from the store**: a saved usable session is served with no
//!   request, and refreshed ahead of expiry like any other.
//! - **One spender per refresh token**: before any request that spends a
//!   refresh token or starts a session, it takes the store's update lock
//!   (waiting at most [`lock_wait`]: as long as a healthy holder can hold
//!   it), loads again, and uses a newer session found there instead of
//!   sending. Nothing is sent while a store call is under way, and the
//!   token served keeps being served while it is usable.
//! - **No caller waits on the store past a request timeout**: a lock call
//!   still under way half a request timeout after the served token's
//!   usable deadline is given up on ([`StoreLink::give_up_overdue_lock`]),
//!   as a lock not had (below); a store that does not answer is not asked
//!   for its lock at all until it answers again.
//! - **No refresh token spent twice when the lock cannot be had**: the
//!   refresh token held (which the store may hand to another process) is
//!   dropped unsent, and the request due is an API-key login that starts a
//!   session of this manager's own, sent without waiting for the lock again.
//! - **Saved before published**: new tokens are saved with
//!   compare-and-swap before any caller sees them (until then the token
//!   served before stays, up to its own deadline); the lock is released
//!   once nothing is in flight.
//! - **One session per (API URL, workspace, API key id)**: the key comes
//!   from the manager's own configuration, and the core refuses a snapshot
//!   of another account.
//! - **Follows the API key**: after `update_api_key` with another key id,
//!   the link shares the new key's session; the old one is never loaded
//!   again.
//!
//! A store that cannot be reached never stops a manager: a server store
//! that does not answer ([`StoreError::Unreachable`]) is warned about once,
//! then left alone and probed with a load (which holds no request back)
//! after 1 s, doubling up to 60 s, until it answers and sharing resumes (a
//! store restarted empty gets this manager's session). Meanwhile the
//! manager runs as it would without a store, never sending a refresh token
//! the store may hold: one it got from the store, or one whose save did
//! not get an answer (a frozen server may still run that save when it
//! wakes).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use revault_auth_core::{AuthCore, Config, SavedTokens};
pub use revault_auth_store::{FileStore, SessionKey, StoreError, TokenStore, UpdateGuard};

/// Attempts at saving one token version when other processes keep saving
/// without the lock.
const SAVE_ATTEMPTS: u8 = 2;

/// What a healthy lock holder spends besides its request: a reload and an
/// fsynced save take milliseconds; a second leaves room for a busy disk or
/// a slow round trip to a store server.
pub const LOCK_MARGIN: Duration = Duration::from_secs(1);

/// The first pause before trying an unreachable store again.
const FIRST_OUTAGE_PAUSE: Duration = Duration::from_secs(1);

/// The longest pause between two tries of an unreachable store.
const LONGEST_OUTAGE_PAUSE: Duration = Duration::from_secs(60);

/// How long a manager waits for the store's update lock: a holder's
/// longest healthy hold (its request, up to `request_timeout`, plus
/// [`LOCK_MARGIN`] for the reload and the save), so a waiter never gives
/// up on a holder that is still within its rights.
pub fn lock_wait(config: &Config) -> Duration {
    config.policy().request_timeout.saturating_add(LOCK_MARGIN)
}

/// The session key of the tokens a manager built from `config` obtains.
pub fn session_key(config: &Config) -> SessionKey {
    let token_uri = config.token_uri().to_string();
    let base = token_uri
        .strip_suffix("/auth/token")
        .unwrap_or(token_uri.as_str());
    SessionKey::new(base, config.workspace(), config.api_key_id())
}

/// One call (or two) to the store, to run where blocking is harmless.
pub struct StoreJob(Box<dyn FnOnce() -> StoreOutcome + Send>);

impl StoreJob {
    /// Calls the store; may block for as long as the store takes.
    pub fn run(self) -> StoreOutcome {
        (self.0)()
    }
}

impl fmt::Debug for StoreJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreJob")
    }
}

/// What a [`StoreJob`] brought back, for [`StoreLink::finish`].
pub struct StoreOutcome(Done);

impl fmt::Debug for StoreOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreOutcome")
    }
}

type Loaded = Result<Option<SavedTokens>, StoreError>;

enum Done {
    Loaded(Loaded),
    /// The lock, and the reload after it (none when the store could not
    /// be reached).
    Locked(Result<UpdateGuard, StoreError>, Option<Loaded>),
    /// A save, and on a conflict what the store holds instead.
    Saved(Result<u64, StoreError>, Option<Loaded>),
    Released,
}

/// The job under way, and what its outcome is for.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Load,
    /// The lock and a reload; given up on at `give_up_at` (see
    /// [`StoreLink::give_up_overdue_lock`]).
    Lock {
        give_up_at: Option<Instant>,
    },
    /// A lock given up on while its call was under way: its outcome only
    /// tells whether the store answers, and a lock it took is released.
    Abandoned,
    /// A load that only tells whether an unreachable store is back.
    Probe,
    Release,
    Save {
        token_version: u64,
        attempt: u8,
    },
}

/// One manager's link to a shared store: the store, its session key, the
/// update lock while this manager holds it, and the job under way.
pub struct StoreLink {
    store: Arc<dyn TokenStore>,
    key: SessionKey,
    guard: Option<UpdateGuard>,
    started: bool,
    pending: Option<Pending>,
    /// The lock could not be taken: the request due goes without it.
    unlocked: bool,
    /// A save lost to a conflict, to try again over the version found.
    retry: Option<(u64, Option<u64>)>,
    /// The core's token version whose save failed: not retried on every
    /// wake-up.
    failed_save: Option<u64>,
    /// The refresh token held may be in the store (restored from it or
    /// saved there): another process may spend it.
    shared: bool,
    /// The store did not answer: when to try it again.
    outage: Option<Outage>,
    /// The key changed while the job under way was for the old one.
    stale: bool,
}

/// A store that does not answer: the pause before the next try, and when
/// that try is due.
#[derive(Clone, Copy, Debug)]
struct Outage {
    pause: Duration,
    retry_at: Instant,
}

impl fmt::Debug for StoreLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreLink")
            .field("key", &self.key)
            .field("locked", &self.guard.is_some())
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl StoreLink {
    /// A link to `store` for the session of a manager built from `config`.
    pub fn new(store: Arc<dyn TokenStore>, config: &Config) -> Self {
        Self {
            store,
            key: session_key(config),
            guard: None,
            started: false,
            pending: None,
            unlocked: false,
            retry: None,
            failed_save: None,
            shared: false,
            outage: None,
            stale: false,
        }
    }

    /// Follows the core's API key: once its key id changed, the link
    /// shares that key's session (loaded first, like at start) and lets go
    /// of the old one (its lock, a save in progress, a save to retry).
    pub fn follow(&mut self, core: &AuthCore) {
        let key = session_key(core.config());
        if key == self.key {
            return;
        }
        self.key = key;
        self.guard = None;
        self.started = false;
        self.unlocked = false;
        self.retry = None;
        self.failed_save = None;
        self.shared = false;
        self.stale = self.pending.is_some();
    }

    /// When the driver must wake for the store: to try an unreachable
    /// store again (not while a try is under way: its end wakes the
    /// driver), or to give up on a lock call.
    pub fn next_wake(&self) -> Option<Instant> {
        match self.pending {
            None => self.outage.map(|outage| outage.retry_at),
            Some(Pending::Lock { give_up_at }) => give_up_at,
            Some(_) => None,
        }
    }

    /// The store is left alone until its next try.
    fn resting(&self, now: Instant) -> bool {
        self.outage.is_some_and(|outage| now < outage.retry_at)
    }

    /// The session this manager shares.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// This manager holds the store's update lock.
    pub fn locked(&self) -> bool {
        self.guard.is_some()
    }

    /// A job is under way that the request due must wait for (a probe of
    /// an unreachable store and a lock given up on hold nothing back).
    pub fn busy(&self) -> bool {
        self.pending
            .is_some_and(|pending| !matches!(pending, Pending::Probe | Pending::Abandoned))
    }

    /// The core is due to send but must take the store's lock first (not
    /// while the store is unreachable: the request goes without it).
    pub fn must_lock(&self, core: &AuthCore, now: Instant) -> bool {
        self.guard.is_none() && !self.unlocked && self.outage.is_none() && core.due(now).is_some()
    }

    /// Gives up on a lock call still under way half a request timeout
    /// after the token served when it began stopped being usable: its
    /// callers have waited that long, and a store that takes longer
    /// (frozen, or a holder stuck past the refresh window) would keep them
    /// waiting past a request timeout, when a login of this manager's own
    /// fits in the other half. The refresh token held is dropped unsent, as
    /// for any lock not had.
    pub fn give_up_overdue_lock(&mut self, core: &mut AuthCore, now: Instant) {
        if let Some(Pending::Lock {
            give_up_at: Some(at),
        }) = self.pending
            && now >= at
        {
            tracing::debug!("the token store's lock is overdue: logging in");
            self.pending = Some(Pending::Abandoned);
            self.lock_unavailable(core, now);
        }
    }

    /// The core's tokens are new and not saved yet (nor given up on, nor
    /// waiting for a store that does not answer or a lock given up on):
    /// they must not be published.
    pub fn holds_back(&self, core: &AuthCore) -> bool {
        self.outage.is_none()
            && !matches!(self.pending, Some(Pending::Abandoned))
            && self.wants_save(core)
    }

    fn wants_save(&self, core: &AuthCore) -> bool {
        core.unsaved() && self.failed_save != Some(core.token_version())
    }

    /// The next store call, if one is needed and none is under way: the
    /// saved session at start, a save of new tokens, the lock's release
    /// once nothing is in flight, or, when the core is due to send, the
    /// lock and a reload.
    ///
    /// While an unreachable store rests, there is none; a request due then
    /// goes without the lock, and never spends a refresh token that came
    /// from the store (the core drops it and logs in instead).
    pub fn next_job(
        &mut self,
        core: &mut AuthCore,
        now: Instant,
        wall: SystemTime,
    ) -> Option<StoreJob> {
        if self.pending.is_some() {
            return None;
        }
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        if self.outage.is_some() {
            // No lock and no save while the store does not answer: a
            // request waits for neither. A refresh token the store may
            // hold is never sent meanwhile.
            if self.shared && core.due(now).is_some() {
                core.handle_store_lock_unavailable(now);
                self.shared = false;
            }
            if self.resting(now) {
                return None;
            }
            let guard = self.guard.take();
            return Some(self.start(Pending::Probe, move || {
                drop(guard);
                Done::Loaded(store.load(&key))
            }));
        }
        if !self.started {
            self.started = true;
            return Some(self.start(Pending::Load, move || Done::Loaded(store.load(&key))));
        }
        let version = core.token_version();
        if self.wants_save(core)
            && let Some(tokens) = core.export(now, wall)
        {
            let (expected, attempt) = match self.retry.take() {
                Some((retried, found)) if retried == version => (found, SAVE_ATTEMPTS),
                _ => (core.saved_version(), 1),
            };
            let save = move || match store.save(&key, &tokens, expected) {
                Err(conflict @ StoreError::Conflict { .. }) => {
                    Done::Saved(Err(conflict), Some(store.load(&key)))
                }
                saved => Done::Saved(saved, None),
            };
            let pending = Pending::Save {
                token_version: version,
                attempt,
            };
            return Some(self.start(pending, save));
        }
        let due = core.due(now).is_some();
        if !due || core.in_flight().is_some() {
            self.unlocked = false;
        }
        if !due
            && core.in_flight().is_none()
            && let Some(guard) = self.guard.take()
        {
            return Some(self.start(Pending::Release, move || {
                drop(guard);
                Done::Released
            }));
        }
        if self.must_lock(core, now) {
            let grace = core.config().policy().request_timeout / 2;
            let give_up_at = core
                .access_token(now)
                .map(|token| token.usable_until() + grace);
            let deadline = now + lock_wait(core.config());
            let lock = move || {
                let guard = store.lock_for_update(&key, deadline);
                // A store that did not answer the lock would not answer the
                // reload either: no second wait.
                let reload = match &guard {
                    Err(StoreError::Unreachable { .. }) => None,
                    _ => Some(store.load(&key)),
                };
                Done::Locked(guard, reload)
            };
            return Some(self.start(Pending::Lock { give_up_at }, lock));
        }
        None
    }

    fn start(&mut self, pending: Pending, job: impl FnOnce() -> Done + Send + 'static) -> StoreJob {
        self.pending = Some(pending);
        StoreJob(Box::new(move || StoreOutcome(job())))
    }

    /// Applies the outcome of the job under way; `None` when it could not
    /// run to its end (it counts as failed).
    pub fn finish(
        &mut self,
        core: &mut AuthCore,
        outcome: Option<StoreOutcome>,
        now: Instant,
        wall: SystemTime,
    ) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if std::mem::take(&mut self.stale) {
            // About the old key's session: its lock is let go of here.
            return;
        }
        match (pending, outcome.map(|outcome| outcome.0)) {
            (Pending::Load, Some(Done::Loaded(loaded))) => {
                if let Some(saved) = self.usable(loaded, now) {
                    self.restore(core, saved, now, wall);
                }
            }
            (Pending::Probe, Some(Done::Loaded(loaded))) => self.heard(loaded, now),
            (Pending::Lock { .. }, Some(Done::Locked(guard, loaded))) => {
                self.locked_and_loaded(core, guard, loaded, now, wall);
            }
            (Pending::Lock { .. }, None) => {
                tracing::warn!("the token store's lock call did not finish");
                self.lock_unavailable(core, now);
            }
            (Pending::Abandoned, Some(Done::Locked(guard, loaded))) => {
                // A lock taken late is held, and released once idle.
                match guard {
                    Ok(guard) => self.guard = Some(guard),
                    Err(error) => self.failed(&error, now),
                }
                if let Some(loaded) = loaded {
                    self.heard(loaded, now);
                }
            }
            (
                Pending::Save {
                    token_version,
                    attempt,
                },
                Some(Done::Saved(saved, stored)),
            ) => {
                self.saved(core, (token_version, attempt), saved, stored, (now, wall));
            }
            (Pending::Save { token_version, .. }, None) => self.failed_save = Some(token_version),
            _ => {}
        }
    }

    fn locked_and_loaded(
        &mut self,
        core: &mut AuthCore,
        guard: Result<UpdateGuard, StoreError>,
        loaded: Option<Loaded>,
        now: Instant,
        wall: SystemTime,
    ) {
        let guard = match guard {
            Ok(guard) => Some(guard),
            Err(error) => {
                self.failed(&error, now);
                None
            }
        };
        // Only a session saved since this manager last saw the store: the
        // one it already knew may be the token just rejected.
        if let Some(saved) = loaded.and_then(|loaded| self.usable(loaded, now))
            && core.saved_version().is_none_or(|seen| saved.version > seen)
            && self.restore(core, saved, now, wall)
        {
            tracing::debug!("using the session another process saved");
        }
        match guard {
            Some(guard) => self.guard = Some(guard),
            None => self.lock_unavailable(core, now),
        }
    }

    /// The lock could not be had: whoever holds it may spend the refresh
    /// token held here (the store's, or one restored just now), so the core
    /// drops it and the request due, an API-key login, goes without the
    /// lock. The access token held is served until then.
    fn lock_unavailable(&mut self, core: &mut AuthCore, now: Instant) {
        tracing::debug!("no update lock on the token store: logging in with the API key");
        core.handle_store_lock_unavailable(now);
        self.shared = false;
        self.unlocked = true;
    }

    fn restore(
        &mut self,
        core: &mut AuthCore,
        saved: SavedTokens,
        now: Instant,
        wall: SystemTime,
    ) -> bool {
        let restored = core.restore(saved, now, wall);
        if restored {
            // Its refresh token is the store's: spending it takes the lock,
            // whatever the request under way before went without.
            self.shared = true;
            self.unlocked = false;
        }
        restored
    }

    /// Notes whether the store answered a load, without using what it
    /// held (a request may be in flight).
    fn heard(&mut self, loaded: Loaded, now: Instant) {
        match loaded {
            Ok(_) => self.answered(),
            Err(error) => self.failed(&error, now),
        }
    }

    /// A loaded snapshot, or `None` (noted when the store failed).
    fn usable(&mut self, loaded: Loaded, now: Instant) -> Option<SavedTokens> {
        match loaded {
            Ok(saved) => {
                self.answered();
                saved
            }
            Err(error) => {
                self.failed(&error, now);
                None
            }
        }
    }

    /// A store call failed: a store that did not answer rests (warned about
    /// once per outage), any other failure is logged.
    fn failed(&mut self, error: &StoreError, now: Instant) {
        if !matches!(error, StoreError::Unreachable { .. }) {
            self.answered();
            tracing::warn!(%error, "token store call failed");
            return;
        }
        let pause = match self.outage {
            None => {
                tracing::warn!(%error, "token store unreachable: going on alone, trying it again with backoff");
                FIRST_OUTAGE_PAUSE
            }
            Some(outage) => {
                tracing::debug!(%error, "token store still unreachable");
                outage.pause.saturating_mul(2).min(LONGEST_OUTAGE_PAUSE)
            }
        };
        self.outage = Some(Outage {
            pause,
            retry_at: now + pause,
        });
    }

    /// The store answered: an outage is over.
    fn answered(&mut self) {
        if self.outage.take().is_some() {
            tracing::info!("token store reachable again: sharing the session");
        }
    }

    /// A compare-and-swap save's outcome. On a conflict (a process saved
    /// without the lock), the stored session is used if it is newer, and
    /// ours is saved over it otherwise.
    fn saved(
        &mut self,
        core: &mut AuthCore,
        (token_version, attempt): (u64, u8),
        saved: Result<u64, StoreError>,
        stored: Option<Loaded>,
        (now, wall): (Instant, SystemTime),
    ) {
        match saved {
            // Tokens that changed meanwhile are saved on their own.
            Ok(version) if core.token_version() == token_version => {
                self.answered();
                core.mark_saved(version);
                self.shared = true;
            }
            Ok(_) => self.answered(),
            Err(StoreError::Conflict { found, .. }) => {
                self.answered();
                let restored = stored
                    .and_then(|stored| self.usable(stored, now))
                    .is_some_and(|stored| self.restore(core, stored, now, wall));
                if restored {
                    return;
                }
                if attempt < SAVE_ATTEMPTS {
                    self.retry = Some((token_version, found));
                } else {
                    self.failed_save = Some(token_version);
                }
            }
            // Saved again once the store is back. The save may yet land (a
            // frozen server runs it when it wakes): these tokens may be
            // the store's, and their refresh token is not sent unlocked.
            Err(error @ StoreError::Unreachable { .. }) => {
                self.shared = true;
                self.failed(&error, now);
            }
            Err(error) => {
                self.failed(&error, now);
                self.failed_save = Some(token_version);
            }
        }
    }
}
