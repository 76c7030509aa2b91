//! Six processes that share nothing but one Redis (`RedisStore`) against
//! the emulator with 2 s tokens, beside one process alone (on its own
//! emulator, at the same time). From the emulators' logs: at most 1.5x the
//! requests of the process alone, one login for the fleet, no refresh
//! token spent twice, never two requests in flight for the fleet (every
//! answer takes a known time, so two at once would arrive closer than
//! that). Variants: Redis killed mid-run and restarted empty, and Redis
//! frozen (SIGSTOP) for 5 s: requests may rise, but no refresh token is
//! spent twice and every caller of every process gets each token within
//! one request timeout. Each run lasts `REVAULT_FLEET_TEST_SECS` (20 s by
//! default) and prints its requests per hour. Skipped with a message when
//! `redis-server` is missing (failed when `REVAULT_REQUIRE_REDIS` is set).

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::host::{requests, shortest_gap};
use common::redis::RedisServer;
use common::{KEY_ID, SECRET, WORKSPACE};
use revault_auth::tokio::TokenManager;
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_store_redis::RedisStore;

const WORKER: &str = "fleet_worker";
const URL: &str = "FLEET_URL";
const REDIS: &str = "FLEET_REDIS";
const SECS: &str = "FLEET_SECS";
const PROCESSES: usize = 6;
/// The workers' request timeout: the longest any caller may wait.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Every answer takes this long: two requests at once would overlap.
const LATENCY: Duration = Duration::from_millis(100);

/// One fleet at a time: the machine running the tests has few cores, and
/// a starved process misses its refresh windows.
static ONE_FLEET: Mutex<()> = Mutex::new(());

#[test]
#[ignore = "a worker process, started by the tests in this file"]
fn fleet_worker() {
    worker();
}

/// How long each run lasts.
fn run_length() -> Duration {
    let secs = std::env::var("REVAULT_FLEET_TEST_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

fn emulator() -> MockServer {
    let config = common::mock_config(Duration::from_secs(2), Duration::from_secs(600));
    let server = MockServer::start_background(config).expect("emulator");
    server.set_persistent_fault(Target::Both, Some(Fault::delay(LATENCY)));
    server
}

/// A worker process: a tokio manager (on `redis` when given) reading a
/// token every 50 ms for `run`.
fn spawn(server: &MockServer, redis: Option<&RedisServer>, run: Duration) -> Child {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            WORKER,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL, server.base_url())
        .env(SECS, run.as_secs_f64().to_string())
        .env_remove(REDIS)
        .stdout(Stdio::piped());
    if let Some(redis) = redis {
        command.env(REDIS, redis.url());
    }
    command.spawn().expect("a worker process")
}

/// The body of a worker: prints the longest any `token()` call waited
/// (`max_wait_ms=N`); fails (a failed exit) if a token is refused.
fn worker() {
    let Ok(url) = std::env::var(URL) else {
        return; // run by hand without a controller: nothing to do
    };
    let secs: f64 = std::env::var(SECS).expect("length").parse().expect("secs");
    let config = Config::builder(url, WORKSPACE, KEY_ID, ApiKeySecret::new(SECRET))
        .tune(|policy| policy.request_timeout = REQUEST_TIMEOUT)
        .build()
        .expect("config");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let longest = runtime.block_on(async {
        let transport = revault_auth::tokio::ReqwestTransport::new().expect("client");
        let mut builder = TokenManager::builder(config, transport);
        if let Ok(redis) = std::env::var(REDIS) {
            builder = builder.with_store(RedisStore::connect(&redis).expect("store"));
        }
        let manager = builder.build().expect("manager");
        let until = Instant::now() + Duration::from_secs_f64(secs);
        let mut longest = Duration::ZERO;
        while Instant::now() < until {
            let asked = Instant::now();
            manager.token().await.expect("a token");
            longest = longest.max(asked.elapsed());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        manager.shutdown().await;
        longest
    });
    // On a line of its own: the harness's `test ... ` precedes it.
    println!("\nmax_wait_ms={}", longest.as_millis());
}

/// Waits for every worker, checks each exited cleanly, and returns the
/// longest wait any of them saw.
fn wait_all(children: Vec<Child>) -> Duration {
    let mut longest = Duration::ZERO;
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "a worker failed: {}",
            output.status
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let waited = stdout
            .lines()
            .find_map(|line| line.strip_prefix("max_wait_ms="))
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or_else(|| panic!("a worker's report: {stdout}"));
        longest = longest.max(waited);
    }
    longest
}

/// What a run of the fleet came to.
struct Outcome {
    run: Duration,
    alone: MockServer,
    fleet: MockServer,
    /// As many processes without a store, when they were run.
    unshared: Option<MockServer>,
    longest_wait: Duration,
}

impl Outcome {
    fn per_hour(&self, server: &MockServer) -> f64 {
        requests(server) as f64 * 3600.0 / self.run.as_secs_f64()
    }

    fn report(&self, name: &str) {
        let unshared = self.unshared.as_ref().map_or_else(String::new, |unshared| {
            format!(
                "; {PROCESSES} without a store {} ({:.0}/h)",
                requests(unshared),
                self.per_hour(unshared)
            )
        });
        eprintln!(
            "{name}: {} s, 2 s tokens: 1 process {} requests ({:.0}/h); {PROCESSES} on one Redis {} \
             ({:.0}/h, {} logins, {} refused refreshes, shortest gap {:?}){unshared}; \
             longest wait for a token {:?}",
            self.run.as_secs(),
            requests(&self.alone),
            self.per_hour(&self.alone),
            requests(&self.fleet),
            self.per_hour(&self.fleet),
            self.fleet.token_requests(),
            self.fleet.refused_refreshes(),
            shortest_gap(&self.fleet),
            self.longest_wait,
        );
    }

    /// The invariants every run keeps, faults or not.
    fn assert_safe(&self) {
        assert_eq!(
            self.fleet.refused_refreshes(),
            0,
            "a refresh token spent twice"
        );
        assert!(
            self.longest_wait <= REQUEST_TIMEOUT,
            "a caller waited {:?} for a token",
            self.longest_wait
        );
    }
}

/// Runs one process alone and the fleet on `redis` side by side (and as
/// many processes without a store when `unshared`), with `fault` applied
/// to `redis` meanwhile.
fn run_fleet(
    redis: &mut RedisServer,
    unshared: bool,
    fault: impl FnOnce(&mut RedisServer, Duration),
) -> Outcome {
    let run = run_length();
    let (alone, fleet) = (emulator(), emulator());
    let unshared = unshared.then(emulator);
    let mut children = vec![spawn(&alone, None, run)];
    children.extend((0..PROCESSES).map(|_| spawn(&fleet, Some(redis), run)));
    if let Some(unshared) = &unshared {
        children.extend((0..PROCESSES).map(|_| spawn(unshared, None, run)));
    }
    fault(redis, run);
    let longest_wait = wait_all(children);
    Outcome {
        run,
        alone,
        fleet,
        unshared,
        longest_wait,
    }
}

#[test]
fn six_processes_on_one_redis_make_the_requests_of_one() {
    let _one = ONE_FLEET.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(mut redis) = RedisServer::start() else {
        return;
    };

    let outcome = run_fleet(&mut redis, true, |_, _| {});

    outcome.report("one Redis");
    outcome.assert_safe();
    assert_eq!(
        outcome.fleet.token_requests(),
        1,
        "one session for the fleet"
    );
    let gap = shortest_gap(&outcome.fleet).expect("requests");
    assert!(gap >= LATENCY, "two requests in flight at once ({gap:?})");
    let limit = (requests(&outcome.alone) * 3).div_ceil(2);
    assert!(
        requests(&outcome.fleet) <= limit,
        "{} requests for {PROCESSES} processes, {} for one alone",
        requests(&outcome.fleet),
        requests(&outcome.alone)
    );
    // The oracle can tell: without the store, six sessions.
    let unshared = outcome.unshared.as_ref().expect("run");
    assert!(requests(unshared) > limit);
}

#[test]
fn redis_killed_and_restarted_empty_spends_no_refresh_token_twice() {
    let _one = ONE_FLEET.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(mut redis) = RedisServer::start() else {
        return;
    };

    let outcome = run_fleet(&mut redis, false, |redis, run| {
        std::thread::sleep(run / 3);
        redis.kill();
        std::thread::sleep(Duration::from_secs(3));
        redis.restart_empty();
    });

    outcome.report("Redis killed for 3 s, restarted empty");
    outcome.assert_safe();
}

#[test]
fn redis_frozen_for_5_s_spends_no_refresh_token_twice() {
    let _one = ONE_FLEET.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(mut redis) = RedisServer::start() else {
        return;
    };

    let outcome = run_fleet(&mut redis, false, |redis, run| {
        std::thread::sleep(run / 3);
        redis.freeze();
        std::thread::sleep(Duration::from_secs(5));
        redis.thaw();
    });

    outcome.report("Redis frozen for 5 s");
    outcome.assert_safe();
}
