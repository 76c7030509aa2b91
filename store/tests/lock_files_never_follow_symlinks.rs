#![cfg(unix)]
//! In a shared directory another user links `tok.json.lock` and
//! `tok.json.update.lock` to paths of their choice; the store must create
//! nothing where the links point, whatever it is asked to do.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ACCESS, key, sibling, tokens};
use revault_auth_store::{FileStore, Refusal, StoreError, TokenStore};

fn every_operation(store: &FileStore) -> Vec<StoreError> {
    let deadline = Instant::now() + Duration::from_secs(2);
    vec![
        store
            .lock_for_update(&key(), deadline)
            .expect_err("update lock through a link"),
        store
            .save(&key(), &tokens(ACCESS), None)
            .expect_err("save through a link"),
    ]
}

fn plant_links(store_path: &Path, victims: &Path) {
    for suffix in [".lock", ".update.lock"] {
        symlink(
            victims.join(format!("victim{suffix}")),
            sibling(store_path, suffix),
        )
        .expect("plant a link");
    }
}

#[test]
fn lock_file_links_in_a_shared_sticky_directory_create_nothing() {
    let shared = tempfile::tempdir().expect("shared directory");
    common::set_mode(shared.path(), 0o1777);
    let victims = tempfile::tempdir().expect("victims' directory");
    let path = shared.path().join("tok.json");
    plant_links(&path, victims.path());

    let store = FileStore::new(&path);
    for error in every_operation(&store) {
        // Refused at the directory, before any lock file is opened.
        common::assert_refused(&error, &Refusal::DirectoryOpenToOthers { mode: 0o1777 });
        assert!(error.to_string().contains("private directory"), "{error}");
    }
    assert!(store.load(&key()).is_err());
    assert_eq!(
        std::fs::read_dir(victims.path()).expect("list").count(),
        0,
        "a file was created where a link pointed"
    );
}

#[test]
fn lock_file_links_in_a_private_directory_are_refused_not_followed() {
    let (dir, path) = common::scratch();
    let victims = tempfile::tempdir().expect("victims' directory");
    plant_links(&path, victims.path());

    let store = FileStore::new(&path);
    for error in every_operation(&store) {
        common::assert_refused(&error, &Refusal::SymbolicLink);
    }
    assert_eq!(std::fs::read_dir(victims.path()).expect("list").count(), 0);
    drop(dir);
}

#[test]
fn a_token_file_link_is_refused_and_never_replaced_through() {
    let (_dir, path) = common::scratch();
    let victims = tempfile::tempdir().expect("victims' directory");
    let target = victims.path().join("theirs.json");
    std::fs::write(&target, b"their file").expect("target");
    symlink(&target, &path).expect("link");

    let store = FileStore::new(&path);
    for error in [
        store.load(&key()).expect_err("load through a link"),
        store
            .save(&key(), &tokens(ACCESS), None)
            .expect_err("save over a link"),
    ] {
        common::assert_refused(&error, &Refusal::SymbolicLink);
    }
    assert_eq!(std::fs::read(&target).expect("target"), b"their file");
}
