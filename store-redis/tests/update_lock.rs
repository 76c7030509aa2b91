//! The update lock, as the server holds it: one holder at a time, kept
//! while held, released on drop, and expiring by itself when its holder
//! dies.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{key, server_or_skip};
use redis::Commands;
use revault_auth_store_redis::{RedisStore, StoreError, TokenStore};

/// Set in the child process that holds the lock and is then killed.
const HOLDER_URL_VAR: &str = "REVAULT_TEST_LOCK_HOLDER_URL";

fn lock_owner(server: &common::RedisServer, store: &RedisStore) -> Option<String> {
    server.raw().get(store.keys(&key()).lock).expect("GET")
}

#[test]
fn the_lock_excludes_a_second_holder_until_released() {
    let server = server_or_skip!();
    let (first, second) = (server.store(), server.store());
    let guard = first
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("first holder");
    let owner = lock_owner(&server, &first).expect("held on the server");

    match second.lock_for_update(&key(), Instant::now() + Duration::from_millis(300)) {
        Err(StoreError::LockTimeout { path, .. }) => {
            assert!(path.to_string_lossy().contains("127.0.0.1"), "{path:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(lock_owner(&server, &first).as_ref(), Some(&owner));

    drop(guard);
    let _second = second
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("taken once released");
    let new_owner = lock_owner(&server, &second).expect("held on the server");
    assert_ne!(new_owner, owner);
}

#[test]
fn a_dropped_guard_deletes_the_lock_on_the_server() {
    let server = server_or_skip!();
    let store = server.store();
    let guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    assert!(lock_owner(&server, &store).is_some());
    drop(guard);
    let deadline = Instant::now() + Duration::from_secs(5);
    while lock_owner(&server, &store).is_some() {
        assert!(Instant::now() < deadline, "the lock stayed after the drop");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn settle_returns_once_the_dropped_guards_lock_is_gone_from_the_server() {
    let server = server_or_skip!();
    let store = server.store();
    let guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    assert!(
        !store.settle(Duration::from_millis(50)),
        "a held lock is not settled"
    );
    drop(guard);
    assert!(store.settle(Duration::from_secs(2)), "released in time");
    assert_eq!(lock_owner(&server, &store), None, "deleted on the server");
}

#[test]
fn a_held_lock_is_extended_while_held() {
    let server = server_or_skip!();
    let ttl = Duration::from_millis(300);
    let holder = server.store().with_lock_ttl(ttl);
    let _guard = holder
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    let owner = lock_owner(&server, &holder).expect("held");
    // Four TTLs later the lock is still ours, still expiring within a TTL.
    std::thread::sleep(ttl * 4);
    assert_eq!(lock_owner(&server, &holder), Some(owner));
    let left: i64 = server.raw().pttl(holder.keys(&key()).lock).expect("PTTL");
    assert!(left > 0 && left <= 300, "{left}");
    assert!(matches!(
        server
            .store()
            .lock_for_update(&key(), Instant::now() + Duration::from_millis(200)),
        Err(StoreError::LockTimeout { .. })
    ));
}

#[test]
fn a_dead_holders_lock_expires() {
    let server = server_or_skip!();
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "lock_holder_child", "--nocapture"])
        .env(HOLDER_URL_VAR, server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child");
    let stdout = child.stdout.take().expect("stdout");
    let held = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == "held");
    assert!(held, "the child did not take the lock");
    let store = server.store();
    let dead_owner = lock_owner(&server, &store).expect("the child holds it");

    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    // Still the dead holder's right after its death...
    assert_eq!(lock_owner(&server, &store).as_ref(), Some(&dead_owner));
    // ...then it expires, and another process takes it.
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(5))
        .expect("the dead holder's lock expired");
    let owner = lock_owner(&server, &store).expect("held");
    assert_ne!(owner, dead_owner);
}

/// The holder of `a_dead_holders_lock_expires`: takes the lock with a
/// 500 ms TTL, says so, and waits to be killed.
#[test]
#[ignore = "run by a_dead_holders_lock_expires as a child process"]
fn lock_holder_child() {
    let Some(url) = std::env::var_os(HOLDER_URL_VAR) else {
        return;
    };
    let store = RedisStore::connect(url.to_str().expect("UTF-8"))
        .expect("store")
        .with_lock_ttl(Duration::from_millis(500));
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(5))
        .expect("lock");
    println!("held");
    std::thread::sleep(Duration::from_secs(60));
}
