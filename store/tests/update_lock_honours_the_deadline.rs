//! A process holding the update lock (or stopped with Ctrl-Z while holding
//! it) costs the others their deadline, never more; and a holder killed
//! with `kill -9` releases it at once.

mod common;

use std::time::{Duration, Instant};

use common::key;
use revault_auth_store::{FileStore, StoreError, TokenStore};

#[test]
fn a_held_update_lock_gives_up_at_the_deadline() {
    let (_dir, path) = common::scratch();
    let holder = FileStore::new(&path);
    let _held = holder
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(1))
        .expect("first holder");

    let waiter = FileStore::new(&path);
    let started = Instant::now();
    let error = waiter
        .lock_for_update(&key(), started + Duration::from_secs(1))
        .expect_err("still held");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_millis(1500),
        "{waited:?}"
    );
    match error {
        StoreError::LockTimeout { path: lock, waited } => {
            assert_eq!(lock, common::sibling(&path, ".update.lock"));
            assert!(waited >= Duration::from_millis(950), "{waited:?}");
        }
        other => panic!("{other:?}"),
    }
    // A deadline already past: one try, no wait.
    let started = Instant::now();
    assert!(waiter.lock_for_update(&key(), started).is_err());
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[cfg(unix)]
#[test]
fn a_stopped_process_holding_the_lock_does_not_block_past_the_deadline_and_kill_9_frees_it() {
    use std::process::{Command, Stdio};

    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    // Create the lock file as the store would (private), then let another
    // process hold it: flock(1) takes the same kind of lock.
    drop(
        store
            .lock_for_update(&key(), Instant::now() + Duration::from_secs(1))
            .expect("create the lock file"),
    );
    let lock = common::sibling(&path, ".update.lock");
    let mut holder = Command::new("flock")
        .args(["--exclusive", "--close"])
        .arg(&lock)
        .args(["sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("flock(1)");
    // Wait until it holds the lock.
    let held_by_child = Instant::now() + Duration::from_secs(5);
    loop {
        match store.lock_for_update(&key(), Instant::now()) {
            Err(StoreError::LockTimeout { .. }) => break,
            Ok(guard) => drop(guard),
            Err(other) => panic!("{other:?}"),
        }
        assert!(
            Instant::now() < held_by_child,
            "flock(1) never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Stop it, as Ctrl-Z would.
    let stopped = Command::new("kill")
        .args(["-STOP", &holder.id().to_string()])
        .status()
        .expect("kill -STOP");
    assert!(stopped.success());

    let started = Instant::now();
    let error = store
        .lock_for_update(&key(), started + Duration::from_secs(1))
        .expect_err("held by a stopped process");
    assert!(matches!(error, StoreError::LockTimeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));

    // kill -9: the OS releases the lock with the process.
    holder.kill().expect("kill -9");
    holder.wait().expect("reaped");
    let started = Instant::now();
    let _guard = store
        .lock_for_update(&key(), started + Duration::from_secs(2))
        .expect("free once the holder died");
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn a_save_blocked_by_a_held_save_lock_gives_up_after_the_lock_wait() {
    let (_dir, path) = common::scratch();
    // Hold the save lock (`<file>.lock`) through the same primitive,
    // as a process stopped in the middle of a save would.
    let store = FileStore::new(&path).with_lock_wait(Duration::from_millis(300));
    store
        .save(&key(), &common::tokens(common::ACCESS), None)
        .expect("first save creates the lock file");
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(common::sibling(&path, ".lock"))
        .expect("open the lock file");
    fs4_lock(&lock);

    let started = Instant::now();
    let error = store
        .save(&key(), &common::tokens(common::ACCESS), None)
        .expect_err("held");
    assert!(matches!(error, StoreError::LockTimeout { .. }), "{error:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(1),
        "{waited:?}"
    );
    // Loading takes no lock: it still works.
    assert!(store.load(&key()).expect("load").is_some());
}

/// Takes an exclusive lock on `file` by the same primitive the store
/// uses, through a descriptor of its own (as another process would).
fn fs4_lock(file: &std::fs::File) {
    fs4::fs_std::FileExt::lock_exclusive(file).expect("lock");
}
