#![cfg(unix)]
//! A store path that is a link to `/dev/zero` must not grow memory, a FIFO
//! must not hang, a huge file is refused: only a regular file of bounded
//! size is read.

mod common;

use std::time::{Duration, Instant};

use common::{ACCESS, key, tokens};
use revault_auth_store::{FileStore, MAX_FILE_BYTES, Refusal, StoreError, TokenStore};

/// Runs `operation` on a thread, failing the test (rather than hanging it)
/// if it takes more than two seconds.
fn within_two_seconds<T: Send + 'static>(operation: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(operation());
    });
    receiver
        .recv_timeout(Duration::from_secs(2))
        .expect("the store hung")
}

#[test]
fn a_link_to_dev_zero_is_refused_without_reading() {
    let (_dir, path) = common::scratch();
    std::os::unix::fs::symlink("/dev/zero", &path).expect("link");
    let store = FileStore::new(&path);
    let error = within_two_seconds(move || store.load(&key())).expect_err("refused");
    common::assert_refused(&error, &Refusal::SymbolicLink);
}

#[test]
fn a_device_at_the_path_is_refused_as_not_a_regular_file() {
    // A device node itself (not a link to one): /dev/zero, read in place.
    let store = FileStore::new("/dev/zero");
    let error = within_two_seconds(move || store.load(&key())).expect_err("refused");
    common::assert_refused(&error, &Refusal::NotARegularFile);
}

#[test]
fn a_fifo_at_the_path_is_refused_without_blocking() {
    let (_dir, path) = common::scratch();
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    common::set_mode(&path, 0o600);
    let store = FileStore::new(&path);
    let started = Instant::now();
    let (loaded, saved, locked) = within_two_seconds(move || {
        (
            store.load(&key()),
            store.save(&key(), &tokens(ACCESS), None),
            store
                .lock_for_update(&key(), Instant::now() + Duration::from_secs(1))
                .map(drop),
        )
    });
    for error in [
        loaded.expect_err("load"),
        saved.expect_err("save"),
        locked.expect_err("lock"),
    ] {
        common::assert_refused(&error, &Refusal::NotARegularFile);
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_file_larger_than_the_limit_is_refused() {
    let (_dir, path) = common::scratch();
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(100 * 1024 * 1024)
        .expect("a 100 MB sparse file");
    common::set_mode(&path, 0o600);
    let store = FileStore::new(&path);
    let error = store.load(&key()).expect_err("refused");
    match error {
        StoreError::Refused {
            refusal: Refusal::TooLarge { size, limit },
            ..
        } => {
            assert_eq!(size, 100 * 1024 * 1024);
            assert_eq!(limit, MAX_FILE_BYTES);
        }
        other => panic!("{other:?}"),
    }
}
