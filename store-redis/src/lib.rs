//! # revault-auth-store-redis
//!
//! A [`TokenStore`] on a Redis server, so
//! every process of a fleet (many machines under one API key) shares one
//! session: one refresh chain and one token request per renewal for the
//! whole fleet, instead of one per process. It follows the protocol of
//! `revault_auth_store` exactly as the file store does; a manager takes it
//! with `with_store(RedisStore::connect(url)?)`.
//!
//! ## On the server
//! Each session has two keys, `<prefix><hash>:session` and
//! `<prefix><hash>:lock`, where the hash is SHA-256 of the session key
//! (API URL, workspace, API key id): no identifier appears in a key name.
//! - **load**: one `GET` of the session key. The value is the file store's
//!   document holding this session alone, checked the same way: a value
//!   that is not such a document is [`StoreError::Corrupt`] (or
//!   `UnsupportedFormat`, `Implausible`), a session of another key under
//!   it is absent; a save replaces either (never a load).
//! - **update lock**: `SET <lock> <owner> NX PX <ttl>` with a random owner
//!   token, tried until the caller's deadline. While the guard lives, a
//!   thread of the store extends it every third of the TTL (compare-and-
//!   `PEXPIRE` in Lua); dropping the guard makes that thread delete it if
//!   it is still ours (compare-and-delete in Lua), so the drop never waits
//!   on the server. A holder that dies or stops stops extending: the lock
//!   expires by itself within the TTL ([`RedisStore::with_lock_ttl`]).
//! - **save**: a `GET`, the version decided here with the checks of
//!   `load`, then one Lua script that writes the new value only if the
//!   key still holds exactly what was read (compare-and-swap). Versions
//!   start at the wall clock ([`first_version`](revault_auth_store::first_version)),
//!   so a Redis restarted empty never hands out a version seen before. A
//!   value expires a minute after its session's last deadline.
//!
//! ## Bounded in time
//! Connecting, writing and reading each stop at the store's I/O timeout
//! ([`RedisStore::with_io_timeout`]) and, for the update lock, at the
//! caller's deadline: a server down, unreachable or frozen costs a caller
//! that long, then [`StoreError::Unreachable`] (typed by its
//! `io::ErrorKind`: `TimedOut`, `ConnectionRefused`, `PermissionDenied`
//! for refused credentials).
//!
//! ## Credentials and TLS
//! - `redis://` only for a server on this host (`localhost`, `127.0.0.0/8`,
//!   `::1`); any other host needs `rediss://` (TLS, certificates checked):
//!   otherwise [`ConfigError::TlsRequired`]. The store holds live refresh
//!   tokens.
//! - User and password in the URL (`rediss://user:password@host`), or the
//!   password in the file named by [`PASSWORD_FILE_VAR`] (read into memory
//!   wiped after use, a trailing newline trimmed).
//! - The password never appears in an error, `Debug` output or log: URLs
//!   are shown without it, and the client's error texts are scrubbed of it.
//!
//! ## ACL for the service user
//! `+get +set +del +pexpire +type +evalsha +script|load` on `~<prefix>*`
//! (the default prefix is [`DEFAULT_PREFIX`]): scripts run by their hash,
//! loaded once per server (again after a restart).

mod config;
mod keys;
mod lock;
mod pool;
mod scripts;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{ConfigError, PASSWORD_FILE_VAR};
pub use keys::{DEFAULT_PREFIX, SessionKeys};
pub use revault_auth_store::{SessionKey, StoreError, TokenStore, UpdateGuard};
pub use store::{
    DEFAULT_IO_TIMEOUT, DEFAULT_LOCK_TTL, DEFAULT_MAX_LIFETIME, MAX_VALUE_BYTES, RedisStore,
};
