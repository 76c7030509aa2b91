//! `--cache PATH`: reuse a session between runs through a
//! [`revault_auth_store::FileStore`].
//!
//! The session is the one for this run's (API URL, workspace, API key id):
//! a cache made against another server or account is never used. A saved
//! access token that is still usable is printed without any request (even
//! when it is past its refresh point: a CLI run uses it at once).
//! Otherwise, under the store's update lock (so concurrent runs wait and
//! then reuse what the first one saved), the saved refresh token (if still
//! usable) or the API key obtains a new pair, which is saved
//! (compare-and-swap on the version loaded) before the token is used.
//!
//! Every wait on the store ends at the run's `--deadline` (exit 4). A
//! cache that cannot be parsed, or holds an implausible session, is
//! ignored with one `warning:` line and replaced by the next save. A cache
//! that is refused (a link, not a regular file, another user's, open to
//! others, in a directory others can write) or cannot be read at all is a
//! usage error (exit 2), before anything is created.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use revault_auth::tokio::{AccessToken, TokenManager};
use revault_auth_store::{FileStore, SessionKey, StoreError, TokenStore};

use super::settings::{Connection, token_failure};
use super::{Exit, Failure};

/// The store, this run's session in it, and when waiting on it must end.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    store: FileStore,
    session: SessionKey,
    deadline: Instant,
}

impl Cache {
    /// The cache at `path` for `connection`'s session; waits end at
    /// `deadline`.
    pub(crate) fn new(path: PathBuf, connection: &Connection, deadline: Instant) -> Self {
        let config = &connection.config;
        let store = FileStore::new(path)
            .with_lock_wait(deadline.saturating_duration_since(Instant::now()))
            .with_max_lifetime(config.policy().max_lifetime);
        let session = SessionKey::new(&connection.base, config.workspace(), config.api_key_id());
        Self {
            store,
            session,
            deadline,
        }
    }
}

/// Obtains a token, through the cache when there is one.
pub(crate) async fn token(
    manager: &TokenManager,
    cache: Option<Cache>,
) -> Result<Arc<AccessToken>, Failure> {
    let Some(cache) = cache else {
        return manager.token_owned().await.map_err(token_failure);
    };
    let (token, mut version) = reuse(manager, &cache, false).await?;
    if let Some(token) = token {
        return Ok(token);
    }
    // New tokens are needed. Under the update lock, another process that
    // got there first has saved its own: reuse them rather than spending
    // the same refresh token.
    let _guard = blocking(&cache, |cache| {
        cache.store.lock_for_update(&cache.session, cache.deadline)
    })
    .await?
    .map_err(store_failure)?;
    let (token, reloaded) = reuse(manager, &cache, true).await?;
    if let Some(token) = token {
        return Ok(token);
    }
    version = reloaded.or(version);
    let token = manager.token_owned().await.map_err(token_failure)?;
    save(manager, &cache, version).await?;
    Ok(token)
}

/// Saves the manager's tokens (compare-and-swap on `version`).
async fn save(manager: &TokenManager, cache: &Cache, version: Option<u64>) -> Result<(), Failure> {
    if let Some(snapshot) = manager.export().await {
        let saved = blocking(cache, move |cache| {
            cache.store.save(&cache.session, &snapshot, version)
        })
        .await?;
        match saved {
            Ok(saved) => tracing::debug!(version = saved, "token cache saved"),
            // A process that did not take the update lock saved meanwhile:
            // keep its pair.
            Err(StoreError::Conflict { .. }) => {
                tracing::debug!("the token cache changed meanwhile; left as it is");
            }
            Err(error) => eprintln!("warning: cannot save the token cache: {error}"),
        }
    }
    Ok(())
}

/// After revault-api answered 401 to `rejected`: a new token, through the
/// cache when there is one. Under the update lock, a token another process
/// saved since (not the rejected one) is used; otherwise the manager
/// obtains a new pair (spending the refresh token under the lock), which is
/// saved before it is used, so the cache no longer holds the revoked token
/// and the spent refresh token.
pub(crate) async fn token_after_401(
    manager: &TokenManager,
    cache: Option<Cache>,
    rejected: &AccessToken,
) -> Result<Arc<AccessToken>, Failure> {
    let Some(cache) = cache else {
        manager.invalidate(rejected);
        return manager.token_owned().await.map_err(token_failure);
    };
    let _guard = blocking(&cache, |cache| {
        cache.store.lock_for_update(&cache.session, cache.deadline)
    })
    .await?
    .map_err(store_failure)?;
    let loaded = blocking(&cache, |cache| cache.store.load(&cache.session)).await?;
    let mut version = None;
    let mut from_cache = None;
    if let Ok(Some(saved)) = loaded {
        version = Some(saved.version);
        let secret = saved.access_token.expose_secret().to_owned();
        if secret != rejected.secret().expose_secret()
            && saved.access_usable_at(SystemTime::now())
            && manager.restore(saved).await
        {
            from_cache = Some(secret);
        }
    }
    manager.invalidate(rejected);
    let token = manager.token_owned().await.map_err(token_failure)?;
    if from_cache.as_deref() != Some(token.secret().expose_secret()) {
        save(manager, &cache, version).await?;
    }
    Ok(token)
}

/// Loads the session and offers it to the manager: the saved token if it
/// is still usable, and the version to expect when saving. Only `locked`
/// (under the update lock) is a saved refresh token installed: restoring
/// starts the manager, which then refreshes at once, and that must happen
/// under the lock. An unreadable or implausible session is reported once,
/// outside the lock.
async fn reuse(
    manager: &TokenManager,
    cache: &Cache,
    locked: bool,
) -> Result<(Option<Arc<AccessToken>>, Option<u64>), Failure> {
    match blocking(cache, |cache| cache.store.load(&cache.session)).await? {
        Ok(Some(mut saved)) => {
            let version = saved.version;
            if saved.access_usable_at(SystemTime::now()) {
                // A CLI run uses a usable token as it is, even past its
                // refresh point: push that point to the end of its use, or
                // the restored manager would refresh at once, outside the
                // update lock, and exit before saving what it got.
                saved.access_refresh_at_unix_ms = saved.access_usable_until_unix_ms;
                if manager.restore(saved).await
                    && let Some(token) = manager.try_token()
                {
                    tracing::debug!("token served from the cache");
                    return Ok((Some(token.into_owned()), Some(version)));
                }
            } else if locked && !manager.restore(saved).await {
                tracing::debug!("the cached refresh token is not usable");
            }
            Ok((None, Some(version)))
        }
        Ok(None) => Ok((None, None)),
        Err(
            error @ (StoreError::Corrupt { .. }
            | StoreError::UnsupportedFormat(_)
            | StoreError::Implausible(_)),
        ) => {
            if !locked {
                eprintln!(
                    "warning: ignoring the token cache {}: {error}",
                    cache.store.path().display()
                );
            }
            Ok((None, None))
        }
        Err(error) => Err(store_failure(error)),
    }
}

/// A store error that stops the run: waiting past the deadline gave up
/// (exit 4); anything else is the cache path's fault (exit 2).
fn store_failure(error: StoreError) -> Failure {
    match error {
        StoreError::LockTimeout { .. } => Failure::new(Exit::GaveUp, error),
        other => Failure::usage(other),
    }
}

/// Runs store IO (which may wait for another process's lock, until the
/// deadline) off the runtime's worker threads.
async fn blocking<T: Send + 'static>(
    cache: &Cache,
    operation: impl FnOnce(&Cache) -> Result<T, StoreError> + Send + 'static,
) -> Result<Result<T, StoreError>, Failure> {
    let cache = cache.clone();
    tokio::task::spawn_blocking(move || operation(&cache))
        .await
        .map_err(|_| Failure::other("the token cache task failed"))
}
