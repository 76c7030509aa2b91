//! The token manager a subcommand drives, and `--cache`: the session
//! shared through a token store by every process using it, with the
//! library's store protocol (start from a usable saved token, spend a
//! refresh token only under the store's update lock, save each new token
//! before it is served). The store is a [`FileStore`] for a path, a
//! [`RedisStore`] for a `redis://` or `rediss://` URL; both go through the
//! same code. The CLI only watches what the store answers, to report it.
//!
//! The session is the one for this run's (API URL, workspace, API key id):
//! a cache made against another server or account is never used. The cache
//! is read once before the manager starts, so that most refusals stop the
//! run before any traffic: a cache that is refused (a link, not a regular
//! file, another user's, open to others, in a directory others can write;
//! a `redis://` URL off this host, a bad URL, Redis refusing the
//! credentials) or cannot be read at all is a usage error (exit 2); a
//! cache that cannot be parsed, or holds an implausible session, is
//! ignored with one `warning:` line and replaced by the next save. A Redis
//! that cannot be reached (down, frozen, no route) is one `warning:` line:
//! the run goes on alone, and shares again as soon as Redis answers. A
//! refusal met later (a lock file planted as a link or a directory) ends a
//! one-shot run with exit 2 instead of its token, and is a warning for
//! `watch`; a save that fails otherwise (a full disk) is a warning, and
//! the token is used. A run that reaches its deadline while another
//! process holds the update lock says so (exit 4).

use std::fmt;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use revault_auth::AccessToken;
use revault_auth::core::TokenError;
use revault_auth::tokio::{ReqwestTransport, TokenManager};
use revault_auth_store::{
    FileStore, Refusal, SavedTokens, SessionKey, StoreError, TokenStore, UpdateGuard,
};
use revault_auth_store_redis::RedisStore;

use crate::failure::{Exit, Failure};
use crate::settings::{Connection, token_failure};

/// The longest a run waits, before it exits, for its Redis update lock to
/// be released.
const RELEASE_WAIT: Duration = Duration::from_secs(1);
/// `--cache PATH` and how far its directory is trusted.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// Keep the token in this file (mode 0600), or in the Redis server at
    /// a redis:// (this host only) or rediss:// URL, and share it with
    /// every process using it; an unreadable cache is ignored with a
    /// warning and replaced, a Redis that cannot be reached is a warning
    /// and the run goes on alone (sharing again once it answers). Redis
    /// password: in the URL or in the file named by
    /// REVAULT_REDIS_PASSWORD_FILE
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) cache: Option<PathBuf>,

    /// Accept a --cache directory that members of its group may change,
    /// provided it is one of this process's groups (a Kubernetes volume
    /// with fsGroup). Any process of that group can then delete or
    /// replace the cache (never read it)
    #[arg(long, requires = "cache")]
    pub(crate) cache_trust_group: bool,
}

/// A run's manager, and what its token cache answered.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) manager: TokenManager,
    cache: Option<Arc<Observed>>,
}

/// A manager for `connection`, sharing its session through `cache` when
/// given; [`Session::token`] and a wait on the cache end after `wait`
/// (`None`: a token is waited for as long as it takes).
pub(crate) fn build(
    connection: Connection,
    cache: CacheArgs,
    wait: Option<Duration>,
) -> Result<Session, Failure> {
    let token_wait = wait.unwrap_or(Duration::MAX);
    let Some(path) = cache.cache else {
        let manager = TokenManager::new(connection.config).map_err(token_failure)?;
        return Ok(Session {
            manager: manager.wait_timeout(token_wait),
            cache: None,
        });
    };
    let store = Arc::new(Observed::open(
        path,
        cache.cache_trust_group,
        &connection,
        wait,
    )?);
    let transport =
        ReqwestTransport::new().map_err(|_| Failure::other("cannot build the HTTP client"))?;
    let manager = TokenManager::builder(connection.config, transport)
        .with_store(Arc::clone(&store))
        .wait_timeout(token_wait)
        .build()
        .map_err(token_failure)?;
    Ok(Session {
        manager,
        cache: Some(store),
    })
}

impl Session {
    /// A valid token for a one-shot run, once the cache (if any) saved it;
    /// a refusal of the cache met on the way ends the run instead.
    pub(crate) async fn token(&self) -> Result<Arc<AccessToken>, Failure> {
        let token = self.manager.token_owned().await;
        let cache = self.cache.as_deref();
        if let Some(refusal) = cache.and_then(Observed::refusal) {
            return Err(Failure::usage(refusal));
        }
        match token {
            Ok(token) => {
                if let Some(error) = cache.and_then(Observed::unsaved_to_report) {
                    eprintln!("warning: cannot save the token cache: {error}");
                }
                Ok(token)
            }
            Err(TokenError::TimedOut { waited, .. })
                if cache.is_some_and(Observed::waiting_for_lock) =>
            {
                let lock = cache.map(Observed::update_lock).unwrap_or_default();
                Err(Failure::new(
                    Exit::GaveUp,
                    format!(
                        "gave up after {:.1} s waiting for the lock {lock} (another process holds it)",
                        waited.as_secs_f64(),
                    ),
                ))
            }
            Err(error) => Err(token_failure(error)),
        }
    }

    /// Stops the manager and, with a Redis cache, waits (a second at
    /// most) for its update lock to be released on the server: a lock left
    /// there would hold every other process's refresh back until it
    /// expires. A file's lock goes with the process.
    pub(crate) async fn close(&self) {
        self.manager.shutdown().await;
        if let Some(redis) = self.cache.as_ref().and_then(|cache| cache.redis.clone()) {
            let _ = tokio::task::spawn_blocking(move || redis.settle(RELEASE_WAIT)).await;
        }
    }

    /// For a run that goes on: a refusal of the cache met so far, as one
    /// `warning:` line.
    pub(crate) fn warn_about_the_cache(&self) {
        if let Some(refusal) = self.cache.as_deref().and_then(Observed::refusal) {
            eprintln!("warning: the token cache was not shared: {refusal}");
        }
    }
}

/// The `--cache` value that names a Redis server rather than a file.
fn redis_url(cache: &std::path::Path) -> Option<&str> {
    let text = cache.to_str()?;
    let scheme = text.split_once("://")?.0;
    (scheme.eq_ignore_ascii_case("redis") || scheme.eq_ignore_ascii_case("rediss")).then_some(text)
}

/// The token store, and what it answered the library.
struct Observed {
    store: Arc<dyn TokenStore>,
    /// The same store when it is a Redis one: its locks are released by
    /// its own threads, which a process must wait for before it exits.
    redis: Option<Arc<RedisStore>>,
    /// The store as messages name it: the file's path, or the server's
    /// URL without its password.
    shown: String,
    /// The update lock as messages name it.
    update_lock: String,
    /// The first refusal met (a path the store will not use).
    refusal: Mutex<Option<String>>,
    /// The last save that failed otherwise (a full disk, an IO error).
    unsaved: Mutex<Option<String>>,
    /// A wait for the update lock is under way.
    locking: AtomicBool,
    /// The store could not be reached at start, which was said once.
    unreachable: AtomicBool,
}

impl fmt::Debug for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observed")
            .field("store", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Observed {
    /// The store `cache` names (a path, or a Redis URL), read once for
    /// this run's session: refused stores stop the run, unreadable
    /// sessions are reported and left to be replaced, an unreachable Redis
    /// is reported and retried by the manager. A wait for another
    /// process's save ends after `wait`.
    fn open(
        cache: PathBuf,
        trust_group: bool,
        connection: &Connection,
        wait: Option<Duration>,
    ) -> Result<Self, Failure> {
        let config = &connection.config;
        let session = SessionKey::new(&connection.base, config.workspace(), config.api_key_id());
        let max_lifetime = config.policy().max_lifetime;
        let (store, redis, shown, update_lock): (Arc<dyn TokenStore>, _, _, _) =
            if let Some(url) = redis_url(&cache) {
                let store = Arc::new(
                    RedisStore::connect(url)
                        .map_err(Failure::usage)?
                        .with_max_lifetime(max_lifetime),
                );
                let shown = store.server().to_owned();
                let update_lock = format!("{} on {shown}", store.keys(&session).lock);
                (store.clone(), Some(store), shown, update_lock)
            } else {
                let mut store = FileStore::new(cache).with_max_lifetime(max_lifetime);
                if let Some(wait) = wait {
                    store = store.with_lock_wait(wait);
                }
                if trust_group {
                    store = store.trust_group_writable_directory();
                }
                let shown = store.path().display().to_string();
                // As `FileStore` names it.
                let update_lock = format!("{shown}.update.lock");
                (Arc::new(store), None, shown, update_lock)
            };
        let unreachable = match store.load(&session) {
            Ok(_) => false,
            Err(
                error @ (StoreError::Corrupt { .. }
                | StoreError::UnsupportedFormat(_)
                | StoreError::Implausible(_)
                | StoreError::Refused {
                    refusal: Refusal::TooLarge { .. },
                    ..
                }),
            ) => {
                eprintln!("warning: ignoring the token cache {shown}: {error}");
                false
            }
            // Refused credentials are a configuration error, like a file
            // this user cannot read.
            Err(error) if refused_credentials(&error) => return Err(Failure::usage(error)),
            Err(error @ StoreError::Unreachable { .. }) => {
                eprintln!("warning: going on without the token cache until it answers: {error}");
                true
            }
            Err(error @ StoreError::LockTimeout { .. }) => {
                return Err(Failure::new(Exit::GaveUp, error));
            }
            // Writable by the group only: a volume of the process's group,
            // which the user may choose to trust.
            Err(
                error @ StoreError::Refused {
                    refusal: Refusal::DirectoryOpenToOthers { mode },
                    ..
                },
            ) if !trust_group && mode & 0o022 == 0o020 => {
                return Err(Failure::usage(format!(
                    "{error} (or, for a volume of this process's group, accept the risk \
                     described in --help with --cache-trust-group)"
                )));
            }
            Err(error) => return Err(Failure::usage(error)),
        };
        Ok(Self {
            store,
            redis,
            shown,
            update_lock,
            refusal: Mutex::new(None),
            unsaved: Mutex::new(None),
            locking: AtomicBool::new(false),
            unreachable: AtomicBool::new(unreachable),
        })
    }

    /// A failed save to report, unless the store was already reported
    /// unreachable (the failure is that one, said once).
    fn unsaved_to_report(&self) -> Option<String> {
        let unsaved = lock(&self.unsaved).take();
        unsaved.filter(|_| !self.unreachable.load(Ordering::Acquire))
    }

    fn refusal(&self) -> Option<String> {
        read(&self.refusal)
    }

    fn waiting_for_lock(&self) -> bool {
        self.locking.load(Ordering::Acquire)
    }

    fn update_lock(&self) -> String {
        self.update_lock.clone()
    }

    /// Passes `result` on, noting a refusal.
    fn note<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        // A file of ours too large to read is replaced by the next save,
        // not a refusal of the path.
        if let Err(error @ StoreError::Refused { refusal, .. }) = &result
            && !matches!(refusal, Refusal::TooLarge { .. })
        {
            lock(&self.refusal).get_or_insert_with(|| error.to_string());
        }
        result
    }
}

impl TokenStore for Observed {
    fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError> {
        self.note(self.store.load(session))
    }

    fn lock_for_update(
        &self,
        session: &SessionKey,
        deadline: Instant,
    ) -> Result<UpdateGuard, StoreError> {
        self.locking.store(true, Ordering::Release);
        let locked = self.store.lock_for_update(session, deadline);
        self.locking.store(false, Ordering::Release);
        self.note(locked)
    }

    fn save(
        &self,
        session: &SessionKey,
        tokens: &SavedTokens,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError> {
        let saved = self.note(self.store.save(session, tokens, expected_version));
        match &saved {
            Ok(_) => *lock(&self.unsaved) = None,
            Err(StoreError::Conflict { .. } | StoreError::Refused { .. }) => {}
            Err(error) => *lock(&self.unsaved) = Some(error.to_string()),
        }
        saved
    }
}

/// Redis refused the credentials: a configuration error, like a file this
/// user cannot read.
fn refused_credentials(error: &StoreError) -> bool {
    matches!(error, StoreError::Unreachable { source, .. } if source.kind() == ErrorKind::PermissionDenied)
}

fn lock(note: &Mutex<Option<String>>) -> std::sync::MutexGuard<'_, Option<String>> {
    note.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read(note: &Mutex<Option<String>>) -> Option<String> {
    lock(note).clone()
}
