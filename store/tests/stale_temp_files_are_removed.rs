#![cfg(unix)]
//! A process killed during a save (`kill -9`) leaves its temporary file,
//! which holds live tokens. Temporary files are named for their writer
//! (`.revault-auth-<pid>-<random>.tmp`), and the next save removes ours
//! whose writer is gone or which are older than any save takes; it leaves
//! a live writer's, another user's, and every other file alone.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{ACCESS, key, tokens};
use revault_auth_store::{FileStore, TokenStore};

/// A pid no process has: one that has just exited.
fn gone_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let pid = child.id();
    child.wait().expect("exited");
    pid
}

fn plant(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    common::write_private(&path, "zz-live-refresh-token-left-by-a-crash");
    path
}

#[test]
fn temp_files_of_a_killed_writer_are_removed_on_the_next_save() {
    let (dir, path) = common::scratch();
    let dead = plant(
        dir.path(),
        &format!(".revault-auth-{}-0123456789abcdef.tmp", gone_pid()),
    );
    let live = plant(
        dir.path(),
        &format!(".revault-auth-{}-fedcba9876543210.tmp", std::process::id()),
    );
    // An older version's name says nothing of its writer: its age does.
    let old_unnamed = plant(dir.path(), ".revault-auth-Xy12Ab.tmp");
    std::fs::File::options()
        .write(true)
        .open(&old_unnamed)
        .expect("open")
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .expect("age it");
    let recent_unnamed = plant(dir.path(), ".revault-auth-Qw34Er.tmp");
    let unrelated = plant(dir.path(), "notes.tmp");

    FileStore::new(&path)
        .save(&key(), &tokens(ACCESS), None)
        .expect("saved");

    assert!(!dead.exists(), "a dead writer's temp file stayed");
    assert!(!old_unnamed.exists(), "an hour-old temp file stayed");
    assert!(live.exists(), "a live writer's temp file was removed");
    assert!(
        recent_unnamed.exists(),
        "a temp file of a save in progress was removed"
    );
    assert!(unrelated.exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names.iter().filter(|name| name.ends_with(".tmp")).count(),
        3,
        "the save left a temp file of its own: {names:?}"
    );
}

#[test]
fn another_users_temp_file_is_left_alone() {
    let (dir, path) = common::scratch();
    let theirs = plant(
        dir.path(),
        &format!(".revault-auth-{}-0123456789abcdef.tmp", gone_pid()),
    );
    if !common::give_to_another_user(&theirs) {
        return;
    }
    FileStore::new(&path)
        .save(&key(), &tokens(ACCESS), None)
        .expect("saved");
    assert!(theirs.exists(), "another user's file was removed");
}
