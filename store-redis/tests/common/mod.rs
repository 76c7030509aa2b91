//! Test support: the crate's private `redis-server` (`testing`), and the
//! snapshots and keys the tests save.
#![allow(dead_code)]

#[path = "../../../store/tests/support/snapshot.rs"]
mod snapshot;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::time::Duration;

use revault_auth_core::SavedTokens;
#[allow(unused_imports)]
pub(crate) use revault_auth_store_redis::testing::{PASSWORD, free_port};
use revault_auth_store_redis::{RedisStore, SessionKey, testing};

pub(crate) const ACCESS: &str = "zz-access-token-3f1c9a";
pub(crate) const REFRESH: &str = "zz-refresh-token-77d0e2";
pub(crate) const API_URL: &str = "http://127.0.0.1:9/v1/rest";
pub(crate) const WORKSPACE: &str = "redis-test-workspace";
pub(crate) const API_KEY_ID: &str = "redis-test-key";

/// Starts a server, or says the test is skipped and returns from it.
#[allow(unused_macros)]
macro_rules! server_or_skip {
    () => {
        match common::RedisServer::start() {
            Some(server) => server,
            None => return,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use server_or_skip;

/// The crate's test server, with the calls these tests make of it.
pub(crate) struct RedisServer(testing::RedisServer);

impl RedisServer {
    /// A fresh, empty server; `None` (with a message) when `redis-server`
    /// is not installed.
    pub(crate) fn start() -> Option<Self> {
        testing::RedisServer::start().map(Self)
    }

    /// A server that also listens with TLS on `tls_port`.
    pub(crate) fn start_tls(tls_port: u16, cert: &Path, key: &Path) -> Option<Self> {
        testing::RedisServer::start_tls(tls_port, cert, key).map(Self)
    }

    /// A store on this server, with short timeouts.
    pub(crate) fn store(&self) -> RedisStore {
        RedisStore::connect(&self.url())
            .expect("store")
            .with_io_timeout(Duration::from_millis(500))
    }

    /// A plain client: the oracle of what the server holds.
    pub(crate) fn raw(&self) -> redis::Connection {
        self.connection().expect("raw connection")
    }

    /// Every key the server holds.
    pub(crate) fn all_keys(&self) -> Vec<String> {
        redis::cmd("KEYS")
            .arg("*")
            .query(&mut self.raw())
            .expect("KEYS")
    }
}

impl Deref for RedisServer {
    type Target = testing::RedisServer;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for RedisServer {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

pub(crate) fn key() -> SessionKey {
    SessionKey::new(API_URL, WORKSPACE, API_KEY_ID)
}

/// A snapshot like the core exports for a 300 s token and a 1800 s
/// refresh token obtained now.
pub(crate) fn tokens(access: &str) -> SavedTokens {
    snapshot::tokens_for(WORKSPACE, API_KEY_ID, access, REFRESH)
}
