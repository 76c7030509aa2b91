//! `--cache PATH`: reuse a token between runs through a
//! [`revault_auth_store::FileStore`].
//!
//! A saved access token that is still usable is printed without any
//! request (even when it is past its refresh point: a CLI run uses it at
//! once). Otherwise, under the store's update lock (so concurrent runs wait
//! and then reuse what the first one saved), the saved refresh token (if
//! still usable) or the API key obtains a new pair, which is saved
//! (compare-and-swap on the version loaded) before the token is used. A cache file that cannot be parsed is
//! ignored with one `warning:` line and replaced by the next save; a cache
//! that cannot be read or locked at all (permissions, a directory) is a
//! usage error (exit 2).

use std::path::PathBuf;
use std::sync::Arc;

use revault_auth::tokio::{AccessToken, TokenManager};
use revault_auth_store::{FileStore, StoreError, TokenStore};

use super::Failure;
use super::settings::token_failure;

/// Obtains a token, through the cache at `path` when there is one.
pub(crate) async fn token(
    manager: &TokenManager,
    path: Option<PathBuf>,
) -> Result<Arc<AccessToken>, Failure> {
    let Some(path) = path else {
        return manager.token_owned().await.map_err(token_failure);
    };
    let store = FileStore::new(path);
    let (token, mut version) = reuse(manager, &store, true).await?;
    if let Some(token) = token {
        return Ok(token);
    }
    // New tokens are needed. Under the update lock, another process that
    // got there first has saved its own: reuse them rather than spending
    // the same refresh token.
    let _guard = blocking(store.clone(), FileStore::lock_for_update)
        .await?
        .map_err(Failure::usage)?;
    let (token, reloaded) = reuse(manager, &store, false).await?;
    if let Some(token) = token {
        return Ok(token);
    }
    version = reloaded.or(version);
    let token = manager.token_owned().await.map_err(token_failure)?;
    if let Some(snapshot) = manager.export().await {
        match blocking(store.clone(), move |store| store.save(&snapshot, version)).await? {
            Ok(saved) => tracing::debug!(version = saved, "token cache saved"),
            // A process that did not take the update lock saved meanwhile:
            // keep its pair.
            Err(StoreError::Conflict { .. }) => {
                tracing::debug!("the token cache changed meanwhile; left as it is");
            }
            Err(error) => eprintln!("warning: cannot save the token cache: {error}"),
        }
    }
    Ok(token)
}

/// Loads the cache and offers it to the manager: the saved token if it is
/// still usable, and the version to expect when saving. An unreadable
/// cache is reported once, when `warn`.
async fn reuse(
    manager: &TokenManager,
    store: &FileStore,
    warn: bool,
) -> Result<(Option<Arc<AccessToken>>, Option<u64>), Failure> {
    match blocking(store.clone(), |store| store.load()).await? {
        Ok(Some(saved)) => {
            let version = saved.version;
            if manager.restore(saved).await
                && let Some(token) = manager.try_token()
            {
                tracing::debug!("token served from the cache");
                return Ok((Some(token.into_owned()), Some(version)));
            }
            Ok((None, Some(version)))
        }
        Ok(None) => Ok((None, None)),
        Err(error @ (StoreError::Corrupt { .. } | StoreError::UnsupportedFormat(_))) => {
            if warn {
                eprintln!(
                    "warning: ignoring the token cache {}: {error}",
                    store.path().display()
                );
            }
            Ok((None, None))
        }
        Err(error) => Err(Failure::usage(error)),
    }
}

/// Runs store IO (which may wait for another process's lock) off the
/// runtime's worker threads.
async fn blocking<T: Send + 'static>(
    store: FileStore,
    operation: impl FnOnce(&FileStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<Result<T, StoreError>, Failure> {
    tokio::task::spawn_blocking(move || operation(&store))
        .await
        .map_err(|_| Failure::other("the token cache task failed"))
}
