//! Four processes share one token store against the emulator with 2 s
//! tokens, beside one process alone and four without a store (each on its
//! own emulator, at the same time). From the emulators' logs: no refresh
//! token spent twice, never two requests in flight for the host, and at
//! most 1.5x the requests of one process alone. The run lasts
//! `REVAULT_HOST_TEST_SECS` (20 s by default); it prints requests per hour.

mod common;

use std::time::Duration;

use common::host::{requests, run_length, shortest_gap, spawn, wait_all};
use revault_auth_mock::{Fault, MockServer, Target};

const WORKER: &str = "host_wide_worker";

#[test]
#[ignore = "a worker process, started by the tests in this file"]
fn host_wide_worker() {
    common::host::worker();
}

fn emulator(latency: Duration) -> MockServer {
    let config = common::mock_config(Duration::from_secs(2), Duration::from_secs(600));
    let server = MockServer::start_background(config).expect("emulator");
    server.set_persistent_fault(Target::Both, Some(Fault::delay(latency)));
    server
}

#[test]
fn four_processes_share_one_session() {
    let run = run_length();
    // Every answer takes 100 ms: two requests at once would overlap.
    let latency = Duration::from_millis(100);
    let (alone, shared, unshared) = (emulator(latency), emulator(latency), emulator(latency));
    let dir = tempfile::tempdir().expect("a private directory");
    let store = dir.path().join("tokens.json");

    let mut children = vec![spawn(WORKER, &alone, None, run)];
    children.extend((0..4).map(|_| spawn(WORKER, &shared, Some(&store), run)));
    children.extend((0..4).map(|_| spawn(WORKER, &unshared, None, run)));
    wait_all(children);

    let per_hour = |n: usize| n as f64 * 3600.0 / run.as_secs_f64();
    eprintln!(
        "{} s, 2 s tokens: 1 process {} requests ({:.0}/h); 4 sharing a store {} ({:.0}/h); 4 without {} ({:.0}/h)",
        run.as_secs(),
        requests(&alone),
        per_hour(requests(&alone)),
        requests(&shared),
        per_hour(requests(&shared)),
        requests(&unshared),
        per_hour(requests(&unshared)),
    );
    assert_eq!(shared.refused_refreshes(), 0, "a refresh token spent twice");
    let gap = shortest_gap(&shared).expect("requests");
    assert!(gap >= latency, "two requests in flight at once ({gap:?})");
    assert_eq!(shared.token_requests(), 1, "one session for the host");
    let limit = (requests(&alone) * 3).div_ceil(2);
    assert!(
        requests(&shared) <= limit,
        "{} requests for 4 processes, {} for one alone",
        requests(&shared),
        requests(&alone)
    );
    // The oracle can tell: without the store, four sessions.
    assert!(requests(&unshared) > limit);
}
