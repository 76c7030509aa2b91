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

/// Set in a child to the store path it saves to, in a loop, until killed.
const SAVER: &str = "REVAULT_AUTH_TEST_SAVER_PATH";

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

fn temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("list")
        .filter(|entry| {
            let name = entry.as_ref().expect("entry").file_name();
            let name = name.to_string_lossy();
            name.starts_with(".revault-auth-") && name.ends_with(".tmp")
        })
        .count()
}

#[test]
fn kill_9_during_saves_leaves_no_temp_file_after_the_next_save() {
    if let Some(path) = std::env::var_os(SAVER) {
        let store = FileStore::new(path);
        let mut version = None;
        loop {
            match store.save(&key(), &tokens(ACCESS), version) {
                Ok(saved) => version = Some(saved),
                Err(_) => version = store.load(&key()).ok().flatten().map(|saved| saved.version),
            }
        }
    }
    let (dir, path) = common::scratch();
    let mut landed = 0;
    let kills = 30;
    for round in 0..kills {
        let mut saver = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "kill_9_during_saves_leaves_no_temp_file_after_the_next_save",
                "--exact",
                "--test-threads=1",
            ])
            .env(SAVER, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("saver");
        std::thread::sleep(Duration::from_millis(40 + (round * 7) % 50));
        saver.kill().expect("kill -9");
        saver.wait().expect("reaped");
        if temp_files(dir.path()) > 0 {
            landed += 1;
        }
    }
    let before = temp_files(dir.path());
    FileStore::new(&path)
        .save(&key(), &tokens(ACCESS), None)
        .or_else(|_| {
            let version = FileStore::new(&path)
                .load(&key())
                .ok()
                .flatten()
                .map(|saved| saved.version);
            FileStore::new(&path).save(&key(), &tokens(ACCESS), version)
        })
        .expect("saved");
    let after = temp_files(dir.path());
    eprintln!(
        "figure: {landed} of {kills} savers killed with SIGKILL left a temporary file; \
         {before} left after the last kill; after the next save: {after}"
    );
    assert_eq!(after, 0, "temporary files of killed savers stayed");
}
