//! A private `redis-server` for tests (feature `testing`): a free loopback
//! port, a private temporary directory, `--requirepass` [`PASSWORD`],
//! nothing saved to disk, stopped on drop; killed, restarted empty, frozen
//! and continued on demand, for the faults a fleet meets.
//!
//! Without `redis-server` on the machine, [`RedisServer::start`] says on
//! stderr that the test is skipped and returns `None`; with
//! [`REQUIRE_VAR`] set (as in CI) it fails the test instead.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set to fail, not skip, a test when `redis-server` is missing.
pub const REQUIRE_VAR: &str = "REVAULT_REQUIRE_REDIS";

/// The test server's password: distinctive, so output can be searched for
/// it.
pub const PASSWORD: &str = "zz-redis-password-5e1f0c";

/// A `redis-server` child process of the test.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    /// Options for a TLS port besides the plain one.
    tls: Vec<String>,
}

impl RedisServer {
    /// A fresh, empty server, ready to answer; `None` (with a message)
    /// when `redis-server` is not installed.
    pub fn start() -> Option<Self> {
        let mut server = Self::down()?;
        server.run();
        Some(server)
    }

    /// A server that also listens with TLS on `tls_port`, with the
    /// certificate and key given (no client certificates asked).
    pub fn start_tls(tls_port: u16, cert: &Path, key: &Path) -> Option<Self> {
        let mut server = Self::down()?;
        let path = |path: &Path| path.to_string_lossy().into_owned();
        server.tls = vec![
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
        ];
        server.run();
        Some(server)
    }

    /// A server with its port chosen but not running yet (a Redis down
    /// when a manager starts): [`run`](Self::run) starts it.
    pub fn down() -> Option<Self> {
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
        Some(Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("a private directory"),
            tls: Vec::new(),
        })
    }

    /// Starts the server on its port, empty, and waits until it answers.
    pub fn run(&mut self) {
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
        while !self.answers() {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server answers `PING`.
    fn answers(&self) -> bool {
        self.connection().is_some_and(|mut connection| {
            redis::cmd("PING")
                .query::<String>(&mut connection)
                .is_ok_and(|pong| pong == "PONG")
        })
    }

    /// A plain client connection, when the server answers.
    pub fn connection(&self) -> Option<redis::Connection> {
        redis::Client::open(self.url())
            .ok()?
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's URL with the password.
    pub fn url(&self) -> String {
        format!("redis://:{PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// The server's URL without a password.
    pub fn bare_url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts an empty one on the same port.
    pub fn restart_empty(&mut self) {
        self.kill();
        self.dir = tempfile::tempdir().expect("a private directory");
        self.run();
    }

    /// Stops the server (SIGSTOP): connections stay open, nothing is
    /// answered.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Continues a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
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
            self.thaw();
        }
        self.kill();
    }
}

/// A loopback port nothing listens on (now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("an address")
        .port()
}
