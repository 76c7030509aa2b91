//! `kill -9` of the process holding the store's update lock while its
//! refresh is in flight: the OS releases the lock, and the other processes
//! carry on within the lock deadline (the request timeout, 2 s): the
//! emulator answers a new token request soon after the kill, and every
//! surviving process served a token on every call to the end.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::host::{refreshing_lock_holder, slow_emulator, spawn, wait_all};

const WORKER: &str = "host_wide_worker";
const LOCK_DEADLINE: Duration = Duration::from_secs(2);

#[test]
#[ignore = "a worker process, started by the tests in this file"]
fn host_wide_worker() {
    common::host::worker();
}

#[test]
fn kill_9_of_the_lock_holder() {
    // Answers take 1 s: the lock is held long enough to find its holder.
    let server = slow_emulator(Duration::from_secs(2));
    let dir = tempfile::tempdir().expect("a private directory");
    let store = dir.path().join("tokens.json");
    let lock = dir.path().join("tokens.json.update.lock");
    let run = Duration::from_secs(10);
    let mut children: Vec<_> = (0..3)
        .map(|_| spawn(WORKER, &server, Some(&store), run))
        .collect();

    // Wait for a refresh in flight (the first one, past the start-up).
    let holder = refreshing_lock_holder(&server, &lock, run);
    let index = children
        .iter()
        .position(|child| child.id() == holder)
        .expect("the holder is one of the workers");
    let mut killed = children.remove(index);
    killed.kill().expect("SIGKILL");
    let killed_at = Instant::now();
    let _ = killed.wait();

    wait_all(children);
    let next = server
        .log()
        .into_iter()
        .filter(|logged| logged.at > killed_at)
        .map(|logged| logged.at - killed_at)
        .min()
        .expect("the others sent again");
    assert!(
        next <= LOCK_DEADLINE + Duration::from_secs(2),
        "the others waited {next:?} after the kill"
    );
}
