//! A server that is down, frozen (SIGSTOP) or killed and restarted empty:
//! calls fail with a typed error by their deadline, never hang, and the
//! store works again once the server is back.

mod common;

use std::io;
use std::time::{Duration, Instant};

use common::{key, server_or_skip, tokens};
use revault_auth_store_redis::{RedisStore, StoreError, TokenStore};

fn kind(error: &StoreError) -> io::ErrorKind {
    match error {
        StoreError::Unreachable { source, .. } => source.kind(),
        other => panic!("not Unreachable: {other:?}"),
    }
}

#[test]
fn a_server_that_is_down_is_a_typed_error_before_the_deadline() {
    let port = common::free_port();
    let store = RedisStore::connect(&format!("redis://:pw@127.0.0.1:{port}"))
        .expect("constructed without connecting");
    let error = store.load(&key()).expect_err("nothing listens");
    assert_eq!(kind(&error), io::ErrorKind::ConnectionRefused);
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );

    let deadline = Instant::now() + Duration::from_secs(5);
    let error = store.lock_for_update(&key(), deadline).expect_err("down");
    assert_eq!(kind(&error), io::ErrorKind::ConnectionRefused);
    assert!(
        Instant::now() < deadline,
        "waited for the deadline instead of failing"
    );
    assert!(store.save(&key(), &tokens("zz-down"), None).is_err());
}

#[test]
fn a_frozen_server_fails_the_update_lock_by_its_deadline() {
    let server = server_or_skip!();
    let store = RedisStore::connect(&server.url())
        .expect("store")
        .with_lock_ttl(Duration::from_secs(1));
    // One call first, so a connection to the server is already open.
    assert!(store.load(&key()).expect("load").is_none());

    server.freeze();
    let deadline = Instant::now() + Duration::from_millis(800);
    let error = store.lock_for_update(&key(), deadline).expect_err("frozen");
    let late = Instant::now().saturating_duration_since(deadline);
    assert_eq!(kind(&error), io::ErrorKind::TimedOut);
    assert!(
        late < Duration::from_millis(300),
        "returned {late:?} past the deadline"
    );
    // The other calls stop at the store's I/O timeout (2 s by default).
    let started = Instant::now();
    assert_eq!(
        kind(&store.load(&key()).expect_err("frozen")),
        io::ErrorKind::TimedOut
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    server.thaw();
    // The lock the frozen server may have taken late expires within its
    // TTL; the store works again.
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(5))
        .expect("lock once continued");
    store
        .save(&key(), &tokens("zz-after"), None)
        .expect("save once continued");
}

#[test]
fn a_server_killed_and_restarted_empty_works_again_with_newer_versions() {
    let mut server = server_or_skip!();
    let store = server.store();
    let before = store
        .save(&key(), &tokens("zz-before"), None)
        .expect("save");
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    drop(_guard);

    server.restart_empty();
    assert!(server.all_keys().is_empty());
    assert!(store.load(&key()).expect("load after restart").is_none());
    match store.save(&key(), &tokens("zz-lost"), Some(before)) {
        Err(StoreError::Conflict { found: None, .. }) => {}
        other => panic!("{other:?}"),
    }
    let after = store.save(&key(), &tokens("zz-after"), None).expect("save");
    assert!(after > before, "{after} after {before}");
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock after restart");
}
