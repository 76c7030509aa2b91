//! `--cache /` (or a path ending in `/`, or a directory) names no regular
//! file: it is refused before anything is created beside it, so a mistyped
//! path never leaves `/.lock` or `/.update.lock` behind.

mod common;

use std::time::{Duration, Instant};

use common::{ACCESS, key, tokens};
use revault_auth_store::{FileStore, Refusal, StoreError, TokenStore};

fn refusal(error: StoreError) -> Refusal {
    match error {
        StoreError::Refused { refusal, .. } => refusal,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_root_directory_is_not_a_store_path_and_nothing_is_created() {
    let store = FileStore::new("/");
    let deadline = Instant::now() + Duration::from_secs(1);
    assert_eq!(
        refusal(store.save(&key(), &tokens(ACCESS), None).expect_err("save")),
        Refusal::NotAFilePath
    );
    assert_eq!(
        refusal(store.lock_for_update(&key(), deadline).expect_err("lock")),
        Refusal::NotAFilePath
    );
    assert_eq!(
        refusal(store.load(&key()).expect_err("load")),
        Refusal::NotAFilePath
    );
    assert!(!std::path::Path::new("/.lock").exists());
    assert!(!std::path::Path::new("/.update.lock").exists());
}

#[test]
fn a_directory_or_a_trailing_slash_is_refused_and_nothing_is_created() {
    let (dir, _path) = common::scratch();
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).expect("mkdir");
    let deadline = Instant::now() + Duration::from_secs(1);

    let trailing = FileStore::new(format!("{}/", inner.display()));
    assert_eq!(
        refusal(
            trailing
                .save(&key(), &tokens(ACCESS), None)
                .expect_err("save")
        ),
        Refusal::NotAFilePath
    );
    let directory = FileStore::new(&inner);
    assert_eq!(
        refusal(
            directory
                .lock_for_update(&key(), deadline)
                .expect_err("lock")
        ),
        Refusal::NotARegularFile
    );
    assert_eq!(
        refusal(
            directory
                .save(&key(), &tokens(ACCESS), None)
                .expect_err("save")
        ),
        Refusal::NotARegularFile
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("inner")]);
}
