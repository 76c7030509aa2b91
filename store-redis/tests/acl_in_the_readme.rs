//! The ACL the README gives the service user is enough for everything the
//! store does (and the user can do nothing else the test tries).

mod common;

use std::time::{Duration, Instant};

use common::{key, server_or_skip, tokens};
use revault_auth_store_redis::{RedisStore, TokenStore};

/// The `ACL SETUSER` line of the README, with `PASSWORD` replaced.
fn readme_acl(password: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let line = readme
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("ACL SETUSER"))
        .expect("an ACL SETUSER line in the README");
    line.split_whitespace()
        .skip(1)
        .map(|word| word.replace("PASSWORD", password))
        .collect()
}

#[test]
fn the_readme_acl_is_enough_for_every_operation() {
    let server = server_or_skip!();
    let password = "zz-service-user-pw";
    let acl = readme_acl(password);
    let user = acl[1].clone();
    let mut admin = server.raw();
    let () = redis::cmd("ACL")
        .arg(&acl)
        .query(&mut admin)
        .expect("ACL SETUSER");

    let url = format!("redis://{user}:{password}@127.0.0.1:{}/0", server.port());
    let store = RedisStore::connect(&url)
        .expect("store")
        .with_lock_ttl(Duration::from_millis(300));
    let guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    assert!(store.load(&key()).expect("load").is_none());
    let version = store.save(&key(), &tokens("zz-acl"), None).expect("save");
    // Held past several TTLs: the extensions are allowed too.
    std::thread::sleep(Duration::from_millis(900));
    let lock_key = store.keys(&key()).lock;
    let holder: Option<String> = redis::cmd("GET")
        .arg(&lock_key)
        .query(&mut admin)
        .expect("GET");
    assert!(holder.is_some(), "the lock was not extended");
    drop(guard);

    // Released on drop, long before a 10 s TTL would expire it.
    let patient = RedisStore::connect(&url)
        .expect("store")
        .with_lock_ttl(Duration::from_secs(10));
    let guard = patient
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    drop(guard);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let holder: Option<String> = redis::cmd("GET")
            .arg(&lock_key)
            .query(&mut admin)
            .expect("GET");
        if holder.is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the release was refused");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        store.load(&key()).expect("load").map(|saved| saved.version),
        Some(version)
    );

    // Nothing beyond: another key, another command.
    let client = redis::Client::open(url).expect("client");
    let mut service = client.get_connection().expect("connection");
    assert!(
        redis::cmd("GET")
            .arg("other-app:secret")
            .query::<Option<String>>(&mut service)
            .is_err()
    );
    assert!(
        redis::cmd("KEYS")
            .arg("*")
            .query::<Vec<String>>(&mut service)
            .is_err()
    );
}
