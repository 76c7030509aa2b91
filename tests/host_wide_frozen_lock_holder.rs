//! Four real processes share one file store; the one holding the store's
//! update lock, its refresh in flight, is stopped (SIGSTOP) past the lock
//! deadline, then continued. The others give up on the lock without
//! sending the refresh token the frozen holder is spending: each logs in
//! with the API key instead, and they share the first new session saved.
//!
//! Oracles: the emulator's log (no refresh refused: the emulator refuses a
//! refresh token sent twice) and the workers themselves: every call for a
//! token gets one within the request timeout (2 s) or the worker fails.
#![cfg(target_os = "linux")]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::host::{refreshing_lock_holder, slow_emulator, spawn, wait_all};
use revault_auth_mock::Endpoint;

const WORKER: &str = "frozen_lock_holder_worker";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// The lock wait: the request timeout and a second for reload and save.
const LOCK_WAIT: Duration = Duration::from_secs(3);

#[test]
#[ignore = "a worker process, started by the tests in this file"]
fn frozen_lock_holder_worker() {
    // 10 s tokens refreshed at half their life: a waiter's token outlives
    // the lock wait, so a caller is never left without one.
    common::host::worker_with(|policy| policy.refresh_at = 0.5, REQUEST_TIMEOUT);
}

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal} {pid}");
}

#[test]
fn frozen_lock_holder_never_makes_a_refresh_token_spent_twice() {
    // Answers take 1 s: the lock holder is found with its refresh in flight.
    let server = slow_emulator(Duration::from_secs(10));
    let dir = tempfile::tempdir().expect("a private directory");
    let store = dir.path().join("tokens.json");
    let lock = dir.path().join("tokens.json.update.lock");
    let run = Duration::from_secs(18);
    let children: Vec<_> = (0..4)
        .map(|_| spawn(WORKER, &server, Some(&store), run))
        .collect();

    let looking = Instant::now();
    let holder = refreshing_lock_holder(&server, &lock, run);
    assert!(children.iter().any(|child| child.id() == holder));
    signal(holder, "-STOP");
    std::thread::sleep(LOCK_WAIT + Duration::from_millis(1500));
    signal(holder, "-CONT");

    let continued_at = Instant::now();
    wait_all(children);
    let log = server.log();
    for logged in &log {
        eprintln!(
            "{:?} {:?} at {:+.2} s from the SIGCONT",
            logged.endpoint,
            logged.status,
            logged.at.duration_since(looking).as_secs_f64()
                - continued_at.duration_since(looking).as_secs_f64()
        );
    }
    let refused: Vec<_> = log
        .iter()
        .filter(|logged| logged.endpoint == Endpoint::Refresh)
        .filter(|logged| logged.status.is_some_and(|status| status != 200))
        .collect();
    assert!(
        refused.is_empty(),
        "a refresh token spent twice: {refused:?}"
    );
    // The frozen holder's refresh was the only spend of its token; the
    // others started sessions of their own.
    assert!(server.token_requests() >= 2, "logins by API key: {log:?}");
}
