//! # revault-auth-store
//!
//! Where a session survives its process and is shared between processes:
//! the [`TokenStore`] trait and [`FileStore`], a JSON file that several
//! processes on one host can use together.
//!
//! ## Sessions
//! A store holds one session per [`SessionKey`] — (API URL, workspace, API
//! key id) — and hands a session only to the same key: a token obtained
//! from one server is never sent to another, nor used for another API key.
//!
//! ## The protocol a driver follows
//! revault-api rotates refresh tokens: each is good for one refresh. Two
//! processes holding the same saved refresh token must not both send it,
//! and a process must not lose the rotated token it just received. So:
//!
//! 1. **Start**: [`load`](TokenStore::load) the session; a usable access
//!    token in it is served with no request.
//! 2. **Before any request that spends a refresh token or starts a
//!    session**: take [`lock_for_update`](TokenStore::lock_for_update)
//!    with the request's deadline, then `load` again. If another process
//!    saved a newer session meanwhile (its version differs from the one
//!    last seen), use it and send nothing.
//! 3. **After a grant**: [`save`](TokenStore::save) with the version last
//!    loaded (compare-and-swap) *before* publishing the new token, then
//!    drop the guard. A [`StoreError::Conflict`] means a process that did
//!    not take the update lock saved first: load and use its session.
//!
//! Every method blocks (bounded, see [`TokenStore`]): a blocking driver
//! calls them directly; an async one through its runtime's blocking pool,
//! holding an `Arc<dyn TokenStore>`:
//!
//! ```no_run
//! # async fn refresh(store: std::sync::Arc<dyn revault_auth_store::TokenStore>,
//! #                  key: revault_auth_store::SessionKey) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::{Duration, Instant};
//! let deadline = Instant::now() + Duration::from_secs(10);
//! let (guard, saved) = tokio::task::spawn_blocking({
//!     let (store, key) = (store.clone(), key.clone());
//!     move || {
//!         let guard = store.lock_for_update(&key, deadline)?;
//!         let saved = store.load(&key)?;
//!         Ok::<_, revault_auth_store::StoreError>((guard, saved))
//!     }
//! })
//! .await??;
//! // ... restore `saved` if newer, else send the refresh and save ...
//! drop(guard);
//! # let _ = saved; Ok(()) }
//! ```
//!
//! ## The crash window, stated honestly
//! Between revault-api rotating the refresh token (it has spent the old
//! one and sent a new pair) and the save, a crash loses the new pair: the
//! store still holds the spent refresh token. The next process to refresh
//! gets a 401 for it and authenticates again with the API key, which
//! recovers the session at the cost of one extra request. Nothing is
//! served that the server would refuse; no store can close this window,
//! because the server commits before the client can.
//!
//! ## The file store
//! - **One file, several sessions** (up to 16; saving a 17th drops the one
//!   saved longest ago), each under its key, each with its own version.
//!   Nothing is written that would not be read back: a save that would
//!   make the file larger than [`MAX_FILE_BYTES`] drops the sessions saved
//!   longest ago (a session too large alone is [`StoreError::TooLarge`]),
//!   and a file of ours too large to read is replaced like unreadable data.
//! - **Private or refused**: the file and its lock files must be regular
//!   files owned by the user, mode 0600 (created so); the directory must
//!   be owned by the user or root and writable by no one else (a shared
//!   `/tmp` is refused: others could plant files or links there). Anything
//!   else is [`StoreError::Refused`], with the reason, before anything is
//!   read or created. No symbolic link is followed (`O_NOFOLLOW`), the
//!   directory's own name included: the directory is opened once, and
//!   every file is inspected, opened, created and renamed relative to it
//!   (`openat`, `renameat`), so a link flipped after the check redirects
//!   nothing. No FIFO or device is opened for reading, and nothing past
//!   [`MAX_FILE_BYTES`] is read.
//! - **Plausible or ignored**: a session whose deadlines reach beyond what
//!   revault-api can issue ([`FileStore::with_max_lifetime`]) or whose
//!   tokens name another account is [`StoreError::Implausible`] on load and
//!   replaced by the next save.
//! - **Atomic replace**: writes go to a temporary file in the same
//!   directory, are fsynced, then renamed over the old file: a reader sees
//!   the old version or the new one, never half of one, even after a
//!   crash. So [`load`](TokenStore::load) takes no lock and creates
//!   nothing. A temporary file is named for its writer
//!   (`.revault-auth-<pid>-<random>.tmp`); one a killed process left (its
//!   tokens still live) is removed by the next save, once its writer is
//!   gone or it is older than any save takes.
//! - **Compare-and-swap** under an advisory lock (`flock`/`LockFileEx`) on
//!   `<file>.lock`, waited for at most [`FileStore::with_lock_wait`].
//!   A session's versions start at the wall clock in microseconds and
//!   count up, so they do not repeat when the file is deleted and made
//!   again, and a recreated session still reads as newer.
//! - **The update lock** is `<file>.update.lock`, waited for until the
//!   caller's deadline, never longer: a stopped process or a planted lock
//!   costs the others their deadline ([`StoreError::LockTimeout`]). The OS
//!   releases it when its holder dies, even by `kill -9`.
//! - A file that is not valid JSON, or not a layout this version knows, is
//!   [`StoreError::Corrupt`] / [`StoreError::UnsupportedFormat`] on load;
//!   a save replaces it.
//!
//! ## Stores on other engines
//! A store keeping one value per session (a Redis key, say) can reuse the
//! file store's layout and checks ([`encode_session`],
//! [`decode_session`]) and its versions ([`first_version`]), as
//! `revault-auth-store-redis` does.
//!
//! Errors never carry a token: JSON errors are reduced to a line and a
//! column, since `serde_json` messages may quote the offending value.

mod codec;
mod error;
mod file;
mod session;
mod token_store;
mod version;

pub use codec::{decode_session, encode_session};
pub use error::{Refusal, StoreError};
pub use file::{DEFAULT_LOCK_WAIT, DEFAULT_MAX_LIFETIME, FileStore, MAX_FILE_BYTES, STORE_FORMAT};
pub use revault_auth_core::SavedTokens;
pub use session::SessionKey;
pub use token_store::{TokenStore, UpdateGuard};
pub use version::first_version;
