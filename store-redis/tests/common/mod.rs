//! Test support: a private `redis-server` per test (free loopback port,
//! private temporary directory, `--requirepass`), stopped on drop, and
//! the snapshots and keys the tests save. Without `redis-server` on the
//! machine, [`RedisServer::start`] says the test is skipped and returns
//! `None` (or fails the test when `REVAULT_REQUIRE_REDIS` is set).
#![allow(dead_code)]

#[path = "../../../store/tests/support/snapshot.rs"]
mod snapshot;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use revault_auth_core::SavedTokens;
use revault_auth_store_redis::{RedisStore, SessionKey};

/// Set (by `.ci/run`) to fail, not skip, when `redis-server` is missing.
const REQUIRE_VAR: &str = "REVAULT_REQUIRE_REDIS";

pub(crate) const PASSWORD: &str = "zz-redis-password-5e1f0c";
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

pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    /// Options for a TLS port besides the plain one.
    tls: Vec<String>,
}

impl RedisServer {
    /// A fresh, empty server, ready to answer; `None` (with a message)
    /// when `redis-server` is not installed.
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(Vec::new())
    }

    /// A server that also listens with TLS, on `tls_port`, with the
    /// certificate and key given (no client certificates asked).
    pub(crate) fn start_tls(tls_port: u16, cert: &Path, key: &Path) -> Option<Self> {
        let path = |path: &Path| path.to_string_lossy().into_owned();
        Self::start_with(vec![
            "--tls-port".to_owned(),
            tls_port.to_string(),
            "--tls-cert-file".to_owned(),
            path(cert),
            "--tls-key-file".to_owned(),
            path(key),
            "--tls-ca-cert-file".to_owned(),
            path(cert),
            "--tls-auth-clients".to_owned(),
            "no".to_owned(),
        ])
    }

    fn start_with(tls: Vec<String>) -> Option<Self> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            assert!(
                std::env::var_os(REQUIRE_VAR).is_none(),
                "redis-server is not installed and {REQUIRE_VAR} is set"
            );
            // Straight to stderr: the test harness hides what `eprintln!`
            // prints in a test that passes.
            let _ = writeln!(
                std::io::stderr(),
                "redis-server is not installed: test skipped"
            );
            return None;
        }
        let mut server = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("private directory"),
            tls,
        };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--requirepass", PASSWORD])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(&self.tls)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ping = self
                .try_raw()
                .and_then(|mut raw| redis::cmd("PING").query::<String>(&mut raw).ok());
            if ping.as_deref() == Some("PONG") {
                return;
            }
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The server's URL with the password.
    pub(crate) fn url(&self) -> String {
        format!("redis://:{PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// The server's URL without a password.
    pub(crate) fn bare_url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A store on this server, with short timeouts.
    pub(crate) fn store(&self) -> RedisStore {
        RedisStore::connect(&self.url())
            .expect("store")
            .with_io_timeout(Duration::from_millis(500))
    }

    /// A plain client: the oracle of what the server holds.
    pub(crate) fn raw(&self) -> redis::Connection {
        self.try_raw().expect("raw connection")
    }

    fn try_raw(&self) -> Option<redis::Connection> {
        let client = redis::Client::open(self.url()).ok()?;
        client
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()
    }

    /// Every key the server holds.
    pub(crate) fn all_keys(&self) -> Vec<String> {
        redis::cmd("KEYS")
            .arg("*")
            .query(&mut self.raw())
            .expect("KEYS")
    }

    /// Kills the server (SIGKILL), as a crash would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts an empty one on the same port.
    pub(crate) fn restart_empty(&mut self) {
        self.kill();
        self.dir = tempfile::tempdir().expect("private directory");
        self.spawn();
    }

    /// Stops (SIGSTOP) or continues (SIGCONT) the server.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.signal("-CONT");
        }
        self.kill();
    }
}

/// A loopback port nothing listens on (now).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

pub(crate) fn key() -> SessionKey {
    SessionKey::new(API_URL, WORKSPACE, API_KEY_ID)
}

/// A snapshot like the core exports for a 300 s token and a 1800 s
/// refresh token obtained now.
pub(crate) fn tokens(access: &str) -> SavedTokens {
    snapshot::tokens_for(WORKSPACE, API_KEY_ID, access, REFRESH)
}
