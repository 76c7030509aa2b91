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
    common::assert_refused(error, &Refusal::SymbolicLink);
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

#[test]
fn a_directory_flipped_to_a_link_during_saves_redirects_nothing() {
    let base = tempfile::tempdir().expect("base");
    let attackers = tempfile::tempdir().expect("the attacker's directory");
    let cache = base.path().join("cache");
    let parked = base.path().join("cache.real");
    std::fs::create_dir(&cache).expect("cache directory");
    common::set_mode(&cache, 0o700);

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (stop, cache, parked) = (stop.clone(), cache.clone(), parked.clone());
        let target = attackers.path().to_path_buf();
        std::thread::spawn(move || {
            let mut flips = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if std::fs::rename(&cache, &parked).is_ok() {
                    let _ = symlink(&target, &cache);
                    std::thread::yield_now();
                    let _ = std::fs::remove_file(&cache);
                    let _ = std::fs::rename(&parked, &cache);
                    flips += 1;
                }
            }
            flips
        })
    };
    let store = FileStore::new(cache.join("tokens.json"));
    let (mut saved, mut refused) = (0, 0);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let version = store.load(&key()).ok().flatten().map(|saved| saved.version);
        match store.save(&key(), &tokens(ACCESS), version) {
            Ok(_) => saved += 1,
            Err(_) => refused += 1,
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let flips = flipper.join().expect("flipper");
    let planted: Vec<_> = std::fs::read_dir(attackers.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    eprintln!(
        "figure: {flips} flips of the directory to a link during {} saves ({saved} saved, \
         {refused} refused): {} files created in the attacker's directory",
        saved + refused,
        planted.len()
    );
    assert!(
        planted.is_empty(),
        "created where the link pointed: {planted:?}"
    );
}
