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
//!   (waiting at most the core's request timeout), loads again, and uses a
//!   newer session found there instead of sending. Nothing is sent while a
//!   store call is under way.
//! - **Saved before published**: new tokens are saved with
//!   compare-and-swap before any caller sees them (until then the token
//!   served before stays, up to its own deadline); the lock is released
//!   once nothing is in flight.
//! - **One session per (API URL, workspace, API key id)**: the key comes
//!   from the manager's own configuration, and the core refuses a snapshot
//!   of another account.
//!
//! A store that cannot be reached (lock timeout, IO error) never stops a
//! manager: it logs a warning and goes on alone, as it would without one.

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use revault_auth_core::{AuthCore, Config, SavedTokens};
pub use revault_auth_store::{FileStore, SessionKey, StoreError, TokenStore, UpdateGuard};

/// Attempts at saving one token version when other processes keep saving
/// without the lock.
const SAVE_ATTEMPTS: u8 = 2;

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
    Locked(Result<UpdateGuard, StoreError>, Loaded),
    /// A save, and on a conflict what the store holds instead.
    Saved(Result<u64, StoreError>, Option<Loaded>),
    Released,
}

/// The job under way, and what its outcome is for.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Load,
    Lock,
    Release,
    Save { token_version: u64, attempt: u8 },
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
        }
    }

    /// The session this manager shares.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// This manager holds the store's update lock.
    pub fn locked(&self) -> bool {
        self.guard.is_some()
    }

    /// A job is under way: nothing may be sent until it is finished.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// The core is due to send but must take the store's lock first.
    pub fn must_lock(&self, core: &AuthCore, now: Instant) -> bool {
        self.guard.is_none() && !self.unlocked && core.due(now).is_some()
    }

    /// The core's tokens are new and not saved yet (nor given up on): they
    /// must not be published.
    pub fn holds_back(&self, core: &AuthCore) -> bool {
        core.unsaved() && self.failed_save != Some(core.token_version())
    }

    /// The next store call, if one is needed and none is under way: the
    /// saved session at start, a save of new tokens, the lock's release
    /// once nothing is in flight, or, when the core is due to send, the
    /// lock and a reload.
    pub fn next_job(
        &mut self,
        core: &AuthCore,
        now: Instant,
        wall: SystemTime,
    ) -> Option<StoreJob> {
        if self.pending.is_some() {
            return None;
        }
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        if !self.started {
            self.started = true;
            return Some(self.start(Pending::Load, move || Done::Loaded(store.load(&key))));
        }
        let version = core.token_version();
        if self.holds_back(core)
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
            let deadline = now + core.config().policy().request_timeout;
            let lock = move || {
                let guard = store.lock_for_update(&key, deadline);
                Done::Locked(guard, store.load(&key))
            };
            return Some(self.start(Pending::Lock, lock));
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
        match (pending, outcome.map(|outcome| outcome.0)) {
            (Pending::Load, Some(Done::Loaded(loaded))) => {
                if let Some(saved) = usable(loaded) {
                    core.restore(saved, now, wall);
                }
            }
            (Pending::Lock, Some(Done::Locked(guard, loaded))) => {
                self.locked_and_loaded(core, guard, loaded, now, wall);
            }
            (Pending::Lock, None) => self.unlocked = true,
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
        loaded: Loaded,
        now: Instant,
        wall: SystemTime,
    ) {
        match guard {
            Ok(guard) => self.guard = Some(guard),
            Err(error) => {
                tracing::warn!(%error, "sending without the token store's update lock");
                self.unlocked = true;
            }
        }
        // Only a session saved since this manager last saw the store: the
        // one it already knew may be the token just rejected.
        if let Some(saved) = usable(loaded)
            && core.saved_version().is_none_or(|seen| saved.version > seen)
            && core.restore(saved, now, wall)
        {
            tracing::debug!("using the session another process saved");
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
            Ok(version) if core.token_version() == token_version => core.mark_saved(version),
            Ok(_) => {}
            Err(StoreError::Conflict { found, .. }) => {
                let restored = stored
                    .and_then(usable)
                    .is_some_and(|stored| core.restore(stored, now, wall));
                if restored {
                    return;
                }
                if attempt < SAVE_ATTEMPTS {
                    self.retry = Some((token_version, found));
                } else {
                    self.failed_save = Some(token_version);
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot save to the token store");
                self.failed_save = Some(token_version);
            }
        }
    }
}

/// A loaded snapshot, or `None` (logged when the store failed).
fn usable(loaded: Loaded) -> Option<SavedTokens> {
    loaded
        .inspect_err(|error| tracing::warn!(%error, "cannot load the token store"))
        .ok()
        .flatten()
}
