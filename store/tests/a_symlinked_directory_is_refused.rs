#![cfg(unix)]
//! No symbolic link is followed, the store's directory included: a
//! directory named through a link (which another user, in a shared sticky
//! directory, could point anywhere and flip between runs) is refused, and
//! nothing is created where it points. The directory is opened once and
//! every file is opened, created and renamed relative to it, so a link
//! flipped after the check cannot redirect a lock file either.

mod common;

use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use common::{ACCESS, key, tokens};
use revault_auth_store::{FileStore, Refusal, StoreError, TokenStore};

fn assert_refused_as_a_link(error: &StoreError) {
    assert!(
        matches!(
            error,
            StoreError::Refused {
                refusal: Refusal::SymbolicLink,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_store_directory_reached_through_a_link_is_refused() {
    let victims = tempfile::tempdir().expect("victim's private directory");
    let links = tempfile::tempdir().expect("where the link is");
    let linked = links.path().join("cache");
    symlink(victims.path(), &linked).expect("link");

    let store = FileStore::new(linked.join("tokens.json"));
    assert_refused_as_a_link(&store.load(&key()).expect_err("load"));
    assert_refused_as_a_link(
        &store
            .lock_for_update(&key(), Instant::now() + Duration::from_secs(1))
            .expect_err("lock"),
    );
    assert_refused_as_a_link(&store.save(&key(), &tokens(ACCESS), None).expect_err("save"));
    assert_eq!(
        std::fs::read_dir(victims.path()).expect("list").count(),
        0,
        "a file was created where the link points"
    );
}

#[test]
fn another_users_link_in_a_sticky_directory_is_refused() {
    let shared = tempfile::tempdir().expect("shared directory");
    common::set_mode(shared.path(), 0o1777);
    let target = tempfile::tempdir().expect("the attacker's directory");
    let linked = shared.path().join("victim-cache");
    symlink(target.path(), &linked).expect("link");
    if !common::give_to_another_user(&linked) {
        return;
    }
    let store = FileStore::new(linked.join("tokens.json"));
    assert_refused_as_a_link(&store.save(&key(), &tokens(ACCESS), None).expect_err("save"));
    assert_eq!(std::fs::read_dir(target.path()).expect("list").count(), 0);
}
