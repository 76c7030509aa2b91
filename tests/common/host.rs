//! Several real processes sharing one token store: the test binary runs
//! itself again as workers (an ignored test selected by name), each one a
//! tokio manager reading a token every 50 ms for a while.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use revault_auth::tokio::{FileStore, TokenManager};
use revault_auth_core::{ApiKeySecret, Config, Policy};
use revault_auth_mock::{Fault, MockServer, Target};

use super::{KEY_ID, SECRET, WORKSPACE, mock_config};

const URL: &str = "HOST_WIDE_URL";
const STORE: &str = "HOST_WIDE_STORE";
const SECS: &str = "HOST_WIDE_SECS";

/// How long the multi-process runs last: `REVAULT_HOST_TEST_SECS`, 20 s by
/// default to keep CI short (the figure is for 60 s).
pub fn run_length() -> Duration {
    let secs = std::env::var("REVAULT_HOST_TEST_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// Starts a worker process: `worker` names the ignored test that runs
/// [`worker`] in this binary; `store` is `None` for a process alone.
pub fn spawn(worker: &str, server: &MockServer, store: Option<&Path>, run: Duration) -> Child {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            worker,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL, server.base_url())
        .env(SECS, run.as_secs_f64().to_string())
        .env_remove(STORE);
    if let Some(store) = store {
        command.env(STORE, store);
    }
    command.stdout(std::process::Stdio::null());
    command.spawn().expect("a worker process")
}

/// The worker's body: a manager (with the store when one is named) serving
/// tokens for the run's length; panics (a failed exit) if one is refused.
pub fn worker() {
    worker_with(|_| {}, revault_auth::tokio::DEFAULT_WAIT);
}

/// [`worker`] with its policy changed by `tune` (after a 2 s request
/// timeout is set), each call for a token waiting at most `wait`.
pub fn worker_with(tune: impl FnOnce(&mut Policy), wait: Duration) {
    let Ok(url) = std::env::var(URL) else {
        return; // run by hand without a controller: nothing to do
    };
    let secs: f64 = std::env::var(SECS).expect("length").parse().expect("secs");
    let config = Config::builder(url, WORKSPACE, KEY_ID, ApiKeySecret::new(SECRET))
        .tune(|policy| {
            policy.request_timeout = Duration::from_secs(2);
            tune(policy);
        })
        .build()
        .expect("config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let transport = revault_auth::tokio::ReqwestTransport::new().expect("client");
        let mut builder = TokenManager::builder(config, transport);
        if let Ok(store) = std::env::var(STORE) {
            builder = builder.with_store(FileStore::new(store));
        }
        let manager = builder.build().expect("manager").wait_timeout(wait);
        let until = Instant::now() + Duration::from_secs_f64(secs);
        while Instant::now() < until {
            manager.token().await.expect("a token");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        manager.shutdown().await;
    });
}

/// The shortest gap between two requests' arrivals.
pub fn shortest_gap(server: &MockServer) -> Option<Duration> {
    let log = server.log();
    log.windows(2)
        .map(|pair| pair[1].at.saturating_duration_since(pair[0].at))
        .min()
}

/// Token requests of either kind.
pub fn requests(server: &MockServer) -> usize {
    server.token_requests() + server.refresh_requests()
}

/// Waits for every worker and checks each exited cleanly.
pub fn wait_all(children: Vec<Child>) {
    for mut child in children {
        let status = child.wait().expect("wait");
        assert!(status.success(), "a worker failed: {status}");
    }
}

/// The process holding an flock on `lock` (Linux: from `/proc/locks`).
#[cfg(target_os = "linux")]
pub fn lock_holder(lock: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    let inode = std::fs::metadata(lock).ok()?.ino().to_string();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"
        let fields: Vec<&str> = line.split_whitespace().collect();
        let device_inode = fields.get(5)?;
        (fields.get(1) == Some(&"FLOCK") && device_inode.rsplit(':').next() == Some(&inode))
            .then(|| fields.get(4)?.parse().ok())
            .flatten()
    })
}

/// An emulator issuing `access` tokens (refresh tokens live 10 min) whose
/// every answer takes a second, so a lock holder can be found with its
/// refresh in flight.
pub fn slow_emulator(access: Duration) -> MockServer {
    let server = MockServer::start_background(mock_config(access, Duration::from_secs(600)))
        .expect("emulator");
    server.set_persistent_fault(
        Target::Both,
        Some(Fault::delay(Duration::from_millis(1000))),
    );
    server
}

/// Waits (at most `within`) for a refresh in flight and the process then
/// holding the flock on `lock`: that process's id.
#[cfg(target_os = "linux")]
pub fn refreshing_lock_holder(server: &MockServer, lock: &Path, within: Duration) -> u32 {
    let looking = Instant::now();
    loop {
        assert!(looking.elapsed() < within, "no process ever held the lock");
        if server.refresh_requests() > 0
            && let Some(pid) = lock_holder(lock)
        {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
