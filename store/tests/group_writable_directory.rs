#![cfg(unix)]
//! A group-writable directory (a Kubernetes volume with `fsGroup`, an
//! `emptyDir`) is refused by default; `trust_group_writable_directory`
//! accepts one whose group is the process's own, never one of another
//! group, nor one others can write.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::{ACCESS, key, tokens};
use revault_auth_store::{FileStore, Refusal, StoreError, TokenStore};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn assert_open_to_others(error: &StoreError) {
    assert!(
        matches!(
            error,
            StoreError::Refused {
                refusal: Refusal::DirectoryOpenToOthers { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_group_writable_directory_of_our_group_is_refused_by_default() {
    let dir = tempfile::tempdir().expect("dir");
    chmod(dir.path(), 0o770);
    let store = FileStore::new(dir.path().join("tokens.json"));
    assert_open_to_others(&store.save(&key(), &tokens(ACCESS), None).expect_err("save"));
    assert!(!dir.path().join("tokens.json").exists());
}

#[test]
fn a_group_writable_directory_of_our_group_is_used_when_trusted() {
    let dir = tempfile::tempdir().expect("dir");
    chmod(dir.path(), 0o2770);
    let store = FileStore::new(dir.path().join("tokens.json")).trust_group_writable_directory();
    store.save(&key(), &tokens(ACCESS), None).expect("save");
    let loaded = store.load(&key()).expect("load").expect("a session");
    assert_eq!(loaded.access_token.expose_secret(), ACCESS);
    let mode = std::fs::metadata(dir.path().join("tokens.json"))
        .expect("saved file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the token file itself stays private");
}

#[test]
fn a_directory_others_can_write_is_refused_even_when_the_group_is_trusted() {
    let dir = tempfile::tempdir().expect("dir");
    chmod(dir.path(), 0o777);
    let store = FileStore::new(dir.path().join("tokens.json")).trust_group_writable_directory();
    assert_open_to_others(&store.save(&key(), &tokens(ACCESS), None).expect_err("save"));
}

#[test]
fn a_group_writable_directory_of_another_group_is_refused_even_when_trusted() {
    const OTHER_GID: u32 = 65534;
    let ours = rustix::process::getgroups().expect("groups");
    let in_other_group = rustix::process::getegid().as_raw() == OTHER_GID
        || ours.iter().any(|gid| gid.as_raw() == OTHER_GID);
    if !rustix::process::geteuid().is_root() || in_other_group {
        eprintln!("skipped: needs root (to chown to gid {OTHER_GID}) outside that group");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    std::os::unix::fs::chown(dir.path(), None, Some(OTHER_GID)).expect("chown");
    chmod(dir.path(), 0o770);
    assert_eq!(
        std::fs::metadata(dir.path()).expect("stat").gid(),
        OTHER_GID
    );
    let store = FileStore::new(dir.path().join("tokens.json")).trust_group_writable_directory();
    assert_open_to_others(&store.save(&key(), &tokens(ACCESS), None).expect_err("save"));
    assert!(!dir.path().join("tokens.json").exists());
}
