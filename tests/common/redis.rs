//! A private `redis-server` per test: a free loopback port, a private
//! temporary directory, `--requirepass`, stopped on drop. Without
//! `redis-server` on the machine, [`RedisServer::start`] says the test is
//! skipped and returns `None`, or fails the test when
//! `REVAULT_REQUIRE_REDIS` is set (as `.ci/run` does). It speaks to the
//! server over a bare socket, so it needs no Redis client.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set (by `.ci/run`) to fail, not skip, when `redis-server` is missing.
const REQUIRE_VAR: &str = "REVAULT_REQUIRE_REDIS";

/// The server's password: distinctive, so output can be searched for it.
pub const REDIS_PASSWORD: &str = "zz-redis-password-c41d07";

pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// A fresh, empty server, ready to answer; `None` (with a message)
    /// when `redis-server` is not installed.
    pub fn start() -> Option<Self> {
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
            // Straight to stderr: the harness hides a passing test's output.
            let _ = writeln!(
                std::io::stderr(),
                "redis-server is not installed: test skipped"
            );
            return None;
        }
        let mut server = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("a private directory"),
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
            .args(["--requirepass", REDIS_PASSWORD])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
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

    /// The server answers `PING` after `AUTH`.
    fn answers(&self) -> bool {
        let ping = || -> std::io::Result<bool> {
            let mut socket = TcpStream::connect(("127.0.0.1", self.port))?;
            socket.set_read_timeout(Some(Duration::from_millis(500)))?;
            write!(socket, "AUTH {REDIS_PASSWORD}\r\nPING\r\n")?;
            let mut seen = Vec::new();
            let mut buffer = [0; 64];
            while !seen.ends_with(b"+PONG\r\n") {
                let read = socket.read(&mut buffer)?;
                if read == 0 {
                    return Ok(false);
                }
                seen.extend_from_slice(&buffer[..read]);
            }
            Ok(true)
        };
        ping().unwrap_or(false)
    }

    /// The server's URL with the password.
    pub fn url(&self) -> String {
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// The server's URL without a password.
    pub fn bare_url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
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
        self.spawn();
    }

    /// Stops (`-STOP`) or continues (`-CONT`) the server.
    pub fn signal(&self, signal: &str) {
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
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("an address")
        .port()
}
