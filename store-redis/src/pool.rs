//! Connections to the server, reused between calls, each call bounded in
//! time: connecting, writing and reading all stop at the call's deadline
//! (or the store's I/O timeout, whichever comes first; a try begun just
//! before the deadline still gets a millisecond), so a frozen or
//! unreachable server costs a caller that long and no more. A connection
//! whose command failed is dropped, never reused: a reply may still be on
//! its way and would answer the next command.

use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::{Client, Connection, RedisError, RedisResult};
use revault_auth_store::StoreError;
use zeroize::Zeroizing;

/// Idle connections kept: a manager uses one at a time, plus one for a
/// held lock's keep-alive.
const MAX_IDLE: usize = 4;

pub(crate) struct Pool {
    client: Client,
    idle: Mutex<Vec<Connection>>,
    io_timeout: Duration,
    /// The server's URL without password, for errors.
    pub(crate) shown: String,
    /// The password in effect, removed from any error text.
    password: Option<Zeroizing<String>>,
}

impl Pool {
    pub(crate) fn new(
        client: Client,
        shown: String,
        password: Option<Zeroizing<String>>,
        io_timeout: Duration,
    ) -> Self {
        Self {
            client,
            idle: Mutex::new(Vec::new()),
            io_timeout,
            shown,
            password,
        }
    }

    /// A pool to the same server with another I/O timeout.
    pub(crate) fn with_io_timeout(&self, io_timeout: Duration) -> Self {
        Self::new(
            self.client.clone(),
            self.shown.clone(),
            self.password.clone(),
            io_timeout,
        )
    }

    pub(crate) fn io_timeout(&self) -> Duration {
        self.io_timeout
    }

    /// Runs `work` on a connection, within the I/O timeout and `deadline`.
    /// A reused connection found dropped (the server restarted since, or
    /// closed it as idle) is replaced once.
    pub(crate) fn run<T>(
        &self,
        operation: &'static str,
        deadline: Option<Instant>,
        mut work: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let until = deadline.map_or(started + self.io_timeout, |deadline| {
            deadline.min(started + self.io_timeout)
        });
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(mut connection) = idle {
            match attempt(&mut connection, until, &mut work) {
                Ok(outcome) => {
                    self.put_back(connection);
                    return Ok(outcome);
                }
                Err(error) if error.is_connection_dropped() => {}
                Err(error) => return Err(self.error(operation, &error)),
            }
        }
        // The handshake reads one reply per command (AUTH, then SELECT for
        // a database other than 0), each bounded by the timeout given:
        // share the budget between them.
        let steps = if self.client.get_connection_info().redis_settings().db() == 0 {
            1
        } else {
            2
        };
        let mut connection = self
            .client
            .get_connection_with_timeout(remaining(until) / steps)
            .map_err(|error| self.error(operation, &error))?;
        let outcome = attempt(&mut connection, until, &mut work)
            .map_err(|error| self.error(operation, &error))?;
        self.put_back(connection);
        Ok(outcome)
    }

    fn put_back(&self, connection: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
    }

    /// A store error for `error`, typed by its kind, its text without the
    /// password.
    pub(crate) fn error(&self, operation: &'static str, error: &RedisError) -> StoreError {
        let kind = if error.is_timeout() {
            io::ErrorKind::TimedOut
        } else if error.is_connection_refusal() {
            io::ErrorKind::ConnectionRefused
        } else if error.is_connection_dropped() {
            io::ErrorKind::ConnectionAborted
        } else if matches!(
            error.kind(),
            redis::ErrorKind::AuthenticationFailed
                | redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm)
        ) || matches!(error.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
        {
            io::ErrorKind::PermissionDenied
        } else {
            io::ErrorKind::Other
        };
        self.unreachable(
            operation,
            io::Error::new(kind, self.scrub(error.to_string())),
        )
    }

    pub(crate) fn unreachable(&self, operation: &'static str, source: io::Error) -> StoreError {
        StoreError::Unreachable {
            operation,
            store: self.shown.clone(),
            source,
        }
    }

    /// `text` with every occurrence of the password masked: the client's
    /// messages are not known to leave it out.
    fn scrub(&self, text: String) -> String {
        match self.password.as_deref() {
            Some(password) if !password.is_empty() && text.contains(password.as_str()) => {
                text.replace(password.as_str(), "***")
            }
            _ => text,
        }
    }
}

/// `work` on `connection`, every read and write bounded by `until`.
fn attempt<T>(
    connection: &mut Connection,
    until: Instant,
    work: &mut impl FnMut(&mut Connection) -> RedisResult<T>,
) -> RedisResult<T> {
    let budget = remaining(until);
    connection.set_read_timeout(Some(budget))?;
    connection.set_write_timeout(Some(budget))?;
    work(connection)
}

/// The time left until `until`, at least a millisecond: a zero timeout
/// means "none" to the OS, and a try started just before a deadline gets
/// a round trip's worth on loopback rather than failing unsent.
fn remaining(until: Instant) -> Duration {
    until
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}
