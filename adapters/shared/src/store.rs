//! Sharing one session between processes through a [`TokenStore`]: the
//! protocol of `revault_auth_store`, written once for every manager. The
//! managers only say where the store's blocking calls run ([`Blocking`]:
//! tokio's blocking pool, `blocking::unblock`, or in place) and call
//! [`StoreLink::step`] before they send or publish anything.
//!
//! What a manager with a store promises:
//! - **Start from the store**: a saved usable session is served with no
//!   request, and refreshed ahead of expiry like any other.
//! - **One spender per refresh token**: before any request that spends a
//!   refresh token or starts a session, it takes the store's update lock
//!   (waiting at most the core's request timeout), loads again, and uses a
//!   newer session found there instead of sending.
//! - **Saved before published**: new tokens are saved with
//!   compare-and-swap before any caller sees them; the lock is released
//!   once nothing is in flight.
//! - **One session per (API URL, workspace, API key id)**: the key comes
//!   from the manager's own configuration, and the core refuses a snapshot
//!   of another account.
//!
//! A store that cannot be reached (lock timeout, IO error) never stops a
//! manager: it logs a warning and goes on alone, as it would without one.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use revault_auth_core::{AuthCore, Config, SavedTokens};
pub use revault_auth_store::{FileStore, SessionKey, StoreError, TokenStore, UpdateGuard};

use crate::WallClock;

/// Runs a store's blocking call where the runtime wants it.
pub trait Blocking {
    /// Runs `work`; `None` when it could not run (the runtime is shutting
    /// down, or `work` panicked).
    fn run<R: Send + 'static>(
        work: impl FnOnce() -> R + Send + 'static,
    ) -> impl Future<Output = Option<R>> + Send;
}

/// Runs blocking calls in place: for a blocking manager.
#[derive(Debug, Clone, Copy, Default)]
pub struct InPlace;

impl Blocking for InPlace {
    fn run<R: Send + 'static>(
        work: impl FnOnce() -> R + Send + 'static,
    ) -> impl Future<Output = Option<R>> + Send {
        std::future::ready(Some(work()))
    }
}

/// The session key of the tokens a manager built from `config` obtains.
pub fn session_key(config: &Config) -> SessionKey {
    let token_uri = config.token_uri().to_string();
    let base = token_uri
        .strip_suffix("/auth/token")
        .unwrap_or(token_uri.as_str());
    SessionKey::new(base, config.workspace(), config.api_key_id())
}

/// One manager's link to a shared store: the store, its session key, and
/// the update lock while this manager holds it.
pub struct StoreLink {
    store: Arc<dyn TokenStore>,
    key: SessionKey,
    guard: Option<UpdateGuard>,
    /// The core's token version whose save failed: not retried on every
    /// wake-up.
    failed_save: Option<u64>,
}

impl fmt::Debug for StoreLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreLink")
            .field("key", &self.key)
            .field("locked", &self.guard.is_some())
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

    /// At start: installs a saved usable session (served with no request).
    /// Returns whether one was installed.
    pub async fn start<B: Blocking>(&mut self, core: &mut AuthCore, wall: WallClock) -> bool {
        match self.load::<B>().await {
            Some(saved) => core.restore(saved, Instant::now(), wall.now()),
            None => false,
        }
    }

    /// The whole protocol, called by the driver after every input and
    /// before it polls the core for a request or publishes: saves new
    /// tokens (before they are published), releases the update lock once
    /// nothing is in flight, and, when the core is due to send, takes the
    /// lock, reloads and installs a newer session found there (then
    /// nothing is sent).
    pub async fn step<B: Blocking>(&mut self, core: &mut AuthCore, wall: WallClock) {
        if core.unsaved() && self.failed_save != Some(core.token_version()) {
            self.save::<B>(core, wall.clone()).await;
        }
        if core.in_flight().is_none() && core.due(Instant::now()).is_none() {
            self.guard = None;
        }
        if self.guard.is_none() && core.due(Instant::now()).is_some() {
            self.lock_and_reload::<B>(core, wall).await;
        }
    }

    /// [`step`](Self::step) for a blocking manager.
    pub fn step_blocking(&mut self, core: &mut AuthCore, wall: &WallClock) {
        futures_lite::future::block_on(self.step::<InPlace>(core, wall.clone()));
    }

    /// [`start`](Self::start) for a blocking manager.
    pub fn start_blocking(&mut self, core: &mut AuthCore, wall: &WallClock) -> bool {
        futures_lite::future::block_on(self.start::<InPlace>(core, wall.clone()))
    }

    async fn load<B: Blocking>(&self) -> Option<SavedTokens> {
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        match B::run(load_job(store, key)).await {
            Some(Ok(saved)) => saved,
            Some(Err(error)) => {
                tracing::warn!(%error, "cannot load the token store");
                None
            }
            None => None,
        }
    }

    async fn lock_and_reload<B: Blocking>(&mut self, core: &mut AuthCore, wall: WallClock) {
        let deadline = Instant::now() + core.config().policy().request_timeout;
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        let reloaded = B::run(lock_and_load_job(store, key, deadline)).await;
        let Some((guard, saved)) = reloaded else {
            return;
        };
        match guard {
            Ok(guard) => self.guard = Some(guard),
            Err(error) => tracing::warn!(%error, "sending without the token store's update lock"),
        }
        match saved {
            // Only a session saved since this manager last saw the store:
            // the one it already knew may be the token just rejected.
            Ok(Some(saved)) if core.saved_version().is_none_or(|seen| saved.version > seen) => {
                if core.restore(saved, Instant::now(), wall.now()) {
                    tracing::debug!("using the session another process saved");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot load the token store"),
        }
        if core.due(Instant::now()).is_none() {
            self.guard = None;
        }
    }

    /// Compare-and-swap save of the core's tokens; on a conflict (a process
    /// saved without the lock), the stored session is used if it is newer,
    /// and ours is saved over it otherwise.
    async fn save<B: Blocking>(&mut self, core: &mut AuthCore, wall: WallClock) {
        let Some(tokens) = core.export(Instant::now(), wall.now()) else {
            return;
        };
        let mut expected = core.saved_version();
        for _ in 0..2 {
            let (store, key, snapshot) =
                (Arc::clone(&self.store), self.key.clone(), tokens.clone());
            let saved = B::run(save_job(store, key, snapshot, expected)).await;
            match saved {
                Some(Ok(version)) => {
                    core.mark_saved(version);
                    return;
                }
                Some(Err(StoreError::Conflict { found, .. })) => {
                    let stored = self.load::<B>().await;
                    if let Some(stored) = stored
                        && core.restore(stored, Instant::now(), wall.now())
                    {
                        return;
                    }
                    expected = found;
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "cannot save to the token store");
                    break;
                }
                None => break,
            }
        }
        self.failed_save = Some(core.token_version());
    }
}

// The blocking jobs are built outside the async methods: a closure written
// inside one would carry its lifetimes, and the compiler could then not
// prove the method's future `Send` (rust-lang/rust#110338).

type Loaded = Result<Option<SavedTokens>, StoreError>;

fn load_job(store: Arc<dyn TokenStore>, key: SessionKey) -> impl FnOnce() -> Loaded + Send {
    move || store.load(&key)
}

fn lock_and_load_job(
    store: Arc<dyn TokenStore>,
    key: SessionKey,
    deadline: Instant,
) -> impl FnOnce() -> (Result<UpdateGuard, StoreError>, Loaded) + Send {
    move || {
        let guard = store.lock_for_update(&key, deadline);
        (guard, store.load(&key))
    }
}

fn save_job(
    store: Arc<dyn TokenStore>,
    key: SessionKey,
    tokens: SavedTokens,
    expected: Option<u64>,
) -> impl FnOnce() -> Result<u64, StoreError> + Send {
    move || store.save(&key, &tokens, expected)
}

/// The futures of [`StoreLink`] can run on a multi-threaded runtime.
#[allow(dead_code)]
fn futures_are_send(link: &mut StoreLink, core: &mut AuthCore) {
    fn send<T: Send>(_: T) {}
    send(link.step::<InPlace>(core, WallClock::default()));
    send(link.start::<InPlace>(core, WallClock::default()));
}
