//! The token manager a subcommand drives, and `--cache PATH`: the session
//! shared through a [`FileStore`] by every process using that file, with
//! the library's store protocol (start from a usable saved token, spend a
//! refresh token only under the store's update lock, save each new token
//! before it is served). The CLI only watches what the store answers, to
//! report it.
//!
//! The session is the one for this run's (API URL, workspace, API key id):
//! a cache made against another server or account is never used. The file
//! is read once before the manager starts, so that most refusals stop the
//! run before any traffic: a cache that is refused (a link, not a regular
//! file, another user's, open to others, in a directory others can write)
//! or cannot be read at all is a usage error (exit 2); a cache that cannot
//! be parsed, or holds an implausible session, is ignored with one
//! `warning:` line and replaced by the next save. A refusal met later (a
//! lock file planted as a link or a directory) ends a one-shot run with
//! exit 2 instead of its token, and is a warning for `watch`; a save that
//! fails otherwise (a full disk) is a warning, and the token is used. A run
//! that reaches its deadline while another process holds the update lock
//! says so (exit 4).

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

use crate::failure::{Exit, Failure};
use crate::settings::{Connection, token_failure};

/// `--cache PATH` and how far its directory is trusted.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// Keep the token in this file (mode 0600) and share it with every
    /// process using it; an unreadable file is ignored with a warning and
    /// replaced
    #[arg(long, value_name = "PATH")]
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
                if let Some(error) = cache.and_then(|cache| lock(&cache.unsaved).take()) {
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
                        "gave up after {:.1} s waiting for the lock {} (another process holds it)",
                        waited.as_secs_f64(),
                        lock.display()
                    ),
                ))
            }
            Err(error) => Err(token_failure(error)),
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

/// The file store, and what it answered the library.
#[derive(Debug)]
struct Observed {
    store: FileStore,
    /// The first refusal met (a path the store will not use).
    refusal: Mutex<Option<String>>,
    /// The last save that failed otherwise (a full disk, an IO error).
    unsaved: Mutex<Option<String>>,
    /// A wait for the update lock is under way.
    locking: AtomicBool,
}

impl Observed {
    /// The store at `path`, read once for this run's session: refused
    /// stores stop the run, unreadable sessions are reported and left to be
    /// replaced. A wait for another process's save ends after `wait`.
    fn open(
        path: PathBuf,
        trust_group: bool,
        connection: &Connection,
        wait: Option<Duration>,
    ) -> Result<Self, Failure> {
        let config = &connection.config;
        let mut store = FileStore::new(path).with_max_lifetime(config.policy().max_lifetime);
        if let Some(wait) = wait {
            store = store.with_lock_wait(wait);
        }
        if trust_group {
            store = store.trust_group_writable_directory();
        }
        let session = SessionKey::new(&connection.base, config.workspace(), config.api_key_id());
        match store.load(&session) {
            Ok(_) => {}
            Err(
                error @ (StoreError::Corrupt { .. }
                | StoreError::UnsupportedFormat(_)
                | StoreError::Implausible(_)
                | StoreError::Refused {
                    refusal: Refusal::TooLarge { .. },
                    ..
                }),
            ) => eprintln!(
                "warning: ignoring the token cache {}: {error}",
                store.path().display()
            ),
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
        }
        Ok(Self {
            store,
            refusal: Mutex::new(None),
            unsaved: Mutex::new(None),
            locking: AtomicBool::new(false),
        })
    }

    fn refusal(&self) -> Option<String> {
        read(&self.refusal)
    }

    fn waiting_for_lock(&self) -> bool {
        self.locking.load(Ordering::Acquire)
    }

    /// `<file>.update.lock`, as [`FileStore`] names it.
    fn update_lock(&self) -> PathBuf {
        let mut path = self.store.path().as_os_str().to_owned();
        path.push(".update.lock");
        PathBuf::from(path)
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

fn lock(note: &Mutex<Option<String>>) -> std::sync::MutexGuard<'_, Option<String>> {
    note.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn read(note: &Mutex<Option<String>>) -> Option<String> {
    lock(note).clone()
}
