//! [`RedisStore`]: the [`TokenStore`] on a Redis server.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use redis::{Client, Connection, IntoConnectionInfo, RedisResult};
use revault_auth_core::SavedTokens;
use revault_auth_store::{
    SessionKey, StoreError, TokenStore, UpdateGuard, decode_session, encode_session, first_version,
};
use zeroize::Zeroizing;

use crate::config::{ConfigError, PASSWORD_FILE_VAR, Target};
use crate::keys::{DEFAULT_PREFIX, SessionKeys};
use crate::lock::{self, millis};
use crate::pool::Pool;
use crate::scripts::SWAP;

/// How long a held update lock outlives its holder by default: a holder
/// that dies or stops costs the others this much at most.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(5);

/// How long one command (connecting included) may take by default before
/// the call fails with [`StoreError::Unreachable`].
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest token lifetime trusted in a stored session by default (the
/// file store's).
pub const DEFAULT_MAX_LIFETIME: Duration = revault_auth_store::DEFAULT_MAX_LIFETIME;

/// Largest value taken for a session (a longer one is
/// [`StoreError::Corrupt`]): one session takes a few KiB.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// How long a saved session outlives its last deadline in Redis.
const VALUE_SLACK: Duration = Duration::from_secs(60);

/// Saves retried when another client changed the value between the read
/// and the swap without changing the session's version.
const SWAP_ATTEMPTS: usize = 3;

/// A token store on a Redis server; see the crate docs.
pub struct RedisStore {
    pool: Arc<Pool>,
    local_locks: Arc<lock::Local>,
    prefix: String,
    lock_ttl: Duration,
    max_lifetime: Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("server", &self.pool.shown)
            .field("prefix", &self.prefix)
            .field("lock_ttl", &self.lock_ttl)
            .field("io_timeout", &self.pool.io_timeout())
            .finish_non_exhaustive()
    }
}

/// What the session's key holds.
enum Stored {
    Absent,
    Value(Zeroizing<Vec<u8>>),
    /// A hash, list, ...: nothing this crate wrote.
    OtherType,
}

impl RedisStore {
    /// A store on the server at `url` (`redis://` for a server on this
    /// host only, `rediss://` otherwise; user and password in the URL, or
    /// the password in the file named by `REVAULT_REDIS_PASSWORD_FILE`
    /// when the URL has none). Checks the URL and reads the password file
    /// now; connects on first use, so a server that is down at start
    /// fails the calls (until it is back), not the construction.
    pub fn connect(url: &str) -> Result<Self, ConfigError> {
        let file = std::env::var_os(PASSWORD_FILE_VAR).filter(|path| !path.is_empty());
        Self::open(url, file.as_deref().map(Path::new))
    }

    /// [`connect`](Self::connect) with the password read from
    /// `password_file` (one line; a trailing newline is not part of it)
    /// when the URL carries none.
    pub fn connect_with_password_file(
        url: &str,
        password_file: impl AsRef<Path>,
    ) -> Result<Self, ConfigError> {
        Self::open(url, Some(password_file.as_ref()))
    }

    fn open(url: &str, password_file: Option<&Path>) -> Result<Self, ConfigError> {
        let target = Target::parse(url, password_file)?;
        let refused = |_| ConfigError::InvalidUrl {
            shown: target.shown.clone(),
            reason: "the Redis client cannot use it",
        };
        let mut info = target
            .url
            .as_str()
            .into_connection_info()
            .map_err(refused)?;
        // No `CLIENT SETINFO` at connect: each command of the handshake
        // is one more read a frozen server can hold for a whole timeout.
        let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
        if let Some(password) = &target.file_password {
            settings = settings.set_password(password.as_str());
        }
        info = info.set_redis_settings(settings);
        let password = info
            .redis_settings()
            .password()
            .map(|password| Zeroizing::new(password.to_owned()));
        // rustls picks its crypto provider from its crate features; with
        // both ring (the redis client's) and aws-lc-rs (reqwest's) in one
        // program it cannot, and panics at the first `rediss://` handshake.
        // Choose ring for the process, unless the program chose already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::open(info).map_err(refused)?;
        Ok(Self {
            pool: Arc::new(Pool::new(
                client,
                target.shown.clone(),
                password,
                DEFAULT_IO_TIMEOUT,
            )),
            local_locks: Arc::default(),
            prefix: DEFAULT_PREFIX.to_owned(),
            lock_ttl: DEFAULT_LOCK_TTL,
            max_lifetime: DEFAULT_MAX_LIFETIME,
        })
    }

    /// The prefix of every key this store uses (default
    /// [`DEFAULT_PREFIX`]): stores with different prefixes share nothing.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long the update lock outlives a holder that died or stopped
    /// (default [`DEFAULT_LOCK_TTL`]). A live holder keeps extending it.
    #[must_use]
    pub fn with_lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl.max(Duration::from_millis(3));
        self
    }

    /// How long one command, connecting included, may take (default
    /// [`DEFAULT_IO_TIMEOUT`]); the update lock's wait also stops at the
    /// caller's deadline.
    #[must_use]
    pub fn with_io_timeout(mut self, timeout: Duration) -> Self {
        self.pool = Arc::new(self.pool.with_io_timeout(timeout));
        self
    }

    /// The longest token lifetime revault-api is trusted to issue (default
    /// [`DEFAULT_MAX_LIFETIME`]; set it to the client's
    /// `Policy::max_lifetime`): a stored session whose deadlines lie
    /// further ahead is [`StoreError::Implausible`].
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// Waits, `timeout` at most, until every update lock this store took
    /// is released on the server (guards release it off the dropping
    /// thread). A process about to exit calls it after its manager shut
    /// down: otherwise a lock it held stays on the server until its TTL,
    /// and holds the fleet's next refresh back that long. `false` when
    /// a lock is still held or being released at the timeout.
    pub fn settle(&self, timeout: Duration) -> bool {
        self.local_locks.settle(Instant::now() + timeout)
    }

    /// The server's URL without its password, as errors show it.
    pub fn server(&self) -> &str {
        &self.pool.shown
    }

    /// The Redis keys holding `session` and its update lock (for ACLs and
    /// inspection: they hold a hash, never the session's identifiers).
    pub fn keys(&self, session: &SessionKey) -> SessionKeys {
        SessionKeys::new(&self.prefix, session)
    }

    fn read(&self, operation: &'static str, key: &str) -> Result<Stored, StoreError> {
        self.pool
            .run(operation, None, |connection| get(connection, key))
    }

    fn decode(
        &self,
        value: &[u8],
        session: &SessionKey,
    ) -> Result<Option<SavedTokens>, StoreError> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(StoreError::Corrupt { line: 0, column: 0 });
        }
        decode_session(value, session, SystemTime::now(), self.max_lifetime)
    }

    /// The version stored for `session` as a save sees it: anything
    /// unreadable or foreign counts as absent, and is replaced.
    fn found_version(
        &self,
        stored: &Stored,
        session: &SessionKey,
    ) -> Result<Option<u64>, StoreError> {
        let Stored::Value(value) = stored else {
            return Ok(None);
        };
        match self.decode(value, session) {
            Ok(saved) => Ok(saved.map(|saved| saved.version)),
            Err(
                StoreError::Corrupt { .. }
                | StoreError::UnsupportedFormat(_)
                | StoreError::Implausible(_),
            ) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// One `GET`; a key of another type is reported, not an error.
fn get(connection: &mut Connection, key: &str) -> RedisResult<Stored> {
    match redis::cmd("GET")
        .arg(key)
        .query::<Option<Vec<u8>>>(connection)
    {
        Ok(Some(value)) => Ok(Stored::Value(Zeroizing::new(value))),
        Ok(None) => Ok(Stored::Absent),
        Err(error) if error.code() == Some("WRONGTYPE") => Ok(Stored::OtherType),
        Err(error) => Err(error),
    }
}

impl TokenStore for RedisStore {
    /// One `GET` of the session's key. A value that is not a session
    /// document is [`StoreError::Corrupt`] (or `UnsupportedFormat`,
    /// `Implausible`); a session of another key under it is absent.
    fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError> {
        let keys = self.keys(session);
        match self.read("load from", &keys.session)? {
            Stored::Absent => Ok(None),
            Stored::Value(value) => self.decode(&value, session),
            Stored::OtherType => Err(StoreError::Corrupt { line: 0, column: 0 }),
        }
    }

    /// One lock per session, held by at most one process of the fleet.
    fn lock_for_update(
        &self,
        session: &SessionKey,
        deadline: Instant,
    ) -> Result<UpdateGuard, StoreError> {
        let keys = self.keys(session);
        lock::acquire(
            &self.pool,
            &self.local_locks,
            &keys.lock,
            self.lock_ttl,
            deadline,
        )
    }

    /// Reads the value, decides here (with the same checks as
    /// [`load`](TokenStore::load)) which version it holds, and swaps in
    /// the new one with a script that does so only if the value is still
    /// exactly what was read. Unreadable or foreign values count as no
    /// session, and are replaced. The value expires a minute after the
    /// session's last deadline.
    fn save(
        &self,
        session: &SessionKey,
        tokens: &SavedTokens,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError> {
        if !session.owns(tokens) {
            return Err(StoreError::Implausible(
                "its tokens belong to another workspace or API key",
            ));
        }
        let keys = self.keys(session);
        let mut found = None;
        for _ in 0..SWAP_ATTEMPTS {
            let stored = self.read("save to", &keys.session)?;
            found = self.found_version(&stored, session)?;
            if found != expected_version {
                break;
            }
            let version = found.map_or_else(first_version, |found| found.wrapping_add(1).max(1));
            let mut tokens = tokens.clone();
            tokens.version = version;
            let now = SystemTime::now();
            let value = encode_session(session, &tokens, now)?;
            let (state, old): (&str, &[u8]) = match &stored {
                Stored::Absent => ("0", &[]),
                Stored::Value(old) => ("1", old),
                Stored::OtherType => ("2", &[]),
            };
            let swapped: i64 = self.pool.run("save to", None, |connection| {
                SWAP.key(&keys.session)
                    .arg(state)
                    .arg(old)
                    .arg(&value[..])
                    .arg(value_ttl_ms(&tokens, now))
                    .invoke(connection)
            })?;
            if swapped == 1 {
                return Ok(version);
            }
        }
        Err(StoreError::Conflict {
            expected: expected_version,
            found,
        })
    }
}

/// A minute past the session's last deadline: a session nobody can use
/// any more leaves Redis by itself.
fn value_ttl_ms(tokens: &SavedTokens, now: SystemTime) -> u64 {
    let now_ms = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, millis);
    let last = tokens
        .refresh_usable_until_unix_ms
        .max(tokens.access_expires_at_unix_ms);
    last.saturating_sub(now_ms)
        .saturating_add(millis(VALUE_SLACK))
}
