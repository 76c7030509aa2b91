//! Issue 12.5: a process holding the cache's update lock (or a `token`
//! run stopped with Ctrl-Z while holding it) made `token --cache F
//! --deadline 1` hang indefinitely. It gives up at the deadline (exit 4).

mod cli_support;
mod common;
mod hostile;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::{against, assert_no_secrets, error_line, finish, run};
use common::mock_config;
use hostile::{arg, sibling};
use revault_auth_mock::{Fault, MockServer, Target};

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator")
}

fn assert_gave_up_at_the_deadline(waiter: &cli_support::Run) {
    assert_eq!(waiter.code(), Some(4), "{}", waiter.show());
    assert!(
        waiter.elapsed >= Duration::from_millis(900) && waiter.elapsed < Duration::from_secs(3),
        "{}",
        waiter.show()
    );
    let line = error_line(waiter);
    assert!(line.contains("waiting for the lock"), "{}", waiter.show());
    assert!(line.contains(".update.lock"), "{}", waiter.show());
    assert!(waiter.stdout.is_empty());
    assert_no_secrets(waiter, &[]);
    eprintln!(
        "figure: --deadline 1 behind a held lock gave up after {:?}",
        waiter.elapsed
    );
}

#[test]
fn another_process_holding_the_update_lock_costs_deadline_1_not_forever() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    // The lock file as the store makes it (private), held by flock(1).
    let lock = sibling(&cache, ".update.lock");
    std::fs::write(&lock, b"").expect("lock file");
    hostile::set_mode(&lock, 0o600);
    let mut holder = Command::new("flock")
        .args(["--exclusive", "--close"])
        .arg(&lock)
        .args(["sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("flock(1)");
    std::thread::sleep(Duration::from_millis(300));

    let waiter = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "1"],
        ),
        Duration::from_secs(15),
    );
    holder.kill().expect("kill the holder");
    holder.wait().expect("reap");
    assert_gave_up_at_the_deadline(&waiter);
    assert_eq!(server.token_requests(), 0, "nothing sent without the lock");
}

#[test]
fn a_token_run_stopped_while_holding_the_lock_costs_deadline_1_not_forever() {
    let server = server();
    // The first run's authentication hangs, so it holds the update lock.
    server.push_fault(Target::Token, Fault::Delay(Duration::from_secs(30)));
    let (_dir, cache) = hostile::private_cache();
    let started = Instant::now();
    let holder = against(
        &server,
        &["token", "--cache", arg(&cache), "--deadline", "60"],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("first run");
    // Wait until its request reached the emulator: it holds the lock.
    while server.token_requests() == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "never sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ctrl-Z.
    let stopped = Command::new("kill")
        .args(["-STOP", &holder.id().to_string()])
        .status()
        .expect("kill -STOP");
    assert!(stopped.success());

    let waiter = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "1"],
        ),
        Duration::from_secs(15),
    );
    let mut holder = holder;
    holder.kill().expect("kill -9 the stopped run");
    let _ = finish(holder, started, Duration::from_secs(5));
    assert_gave_up_at_the_deadline(&waiter);
    assert_eq!(server.token_requests(), 1, "only the stopped run sent");

    // The lock died with its holder: the next run gets a token at once.
    let next = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "5"],
        ),
        Duration::from_secs(15),
    );
    assert_eq!(next.code(), Some(0), "{}", next.show());
}
