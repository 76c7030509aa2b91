//! What `token --cache F` says when the token store refuses the file or
//! waits on another process: the store's own tests (`store/tests`) show
//! what it refuses and why; these show that the CLI reports it with its
//! exit code and one `error:` line, and never prints a token then.

mod cli_support;
mod common;
mod hostile;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cli_support::{Run, against, assert_no_secrets, assert_no_traffic, emulator, error_line, run};
use hostile::{arg, set_mode, sibling};
use revault_auth_mock::MockServer;

/// Runs `token --cache CACHE` and checks it is refused: exit 2, no token
/// printed, and an error line that says `says`.
fn refused_token(server: &MockServer, cache: &Path, says: &str) -> Run {
    let refused = run(
        against(server, &["token", "--cache", arg(cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(refused.stdout.is_empty(), "{}", refused.show());
    let line = error_line(&refused);
    assert!(line.contains(says), "{line}");
    refused
}

#[test]
fn a_cache_file_open_to_others_exits_2_before_any_traffic() {
    let server = emulator();
    let (_dir, cache) = hostile::private_cache();
    std::fs::write(&cache, b"{}").expect("write");
    set_mode(&cache, 0o644);

    refused_token(&server, &cache, "open to group or others");
    assert_no_traffic(&server);
}

#[test]
fn a_lock_file_planted_as_a_link_exits_2_and_prints_no_token() {
    let server = emulator();
    let (_dir, cache) = hostile::private_cache();
    let victims = tempfile::tempdir().expect("the attacker's choice");
    for suffix in [".lock", ".update.lock"] {
        symlink(
            victims.path().join(format!("chosen{suffix}")),
            sibling(&cache, suffix),
        )
        .expect("plant a link");
    }

    let refused = refused_token(&server, &cache, "symbolic link");
    assert_no_secrets(&refused, &[]);
    let created: Vec<_> = std::fs::read_dir(victims.path()).expect("list").collect();
    assert!(created.is_empty(), "created where a link pointed");
}

#[test]
fn a_held_update_lock_gives_up_at_the_deadline_with_exit_4() {
    let server = emulator();
    let (_dir, cache) = hostile::private_cache();
    // The lock file as the store makes it (private), held by flock(1).
    let lock = sibling(&cache, ".update.lock");
    std::fs::write(&lock, b"").expect("lock file");
    set_mode(&lock, 0o600);
    let mut holder = Command::new("flock")
        .args(["--exclusive", "--close"])
        .arg(&lock)
        .args(["sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("flock(1)");
    std::thread::sleep(Duration::from_millis(300));

    let waiter = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "1"],
        ),
        Duration::from_secs(15),
    );
    holder.kill().expect("kill the holder");
    holder.wait().expect("reap");

    assert_eq!(waiter.code(), Some(4), "{}", waiter.show());
    assert!(
        waiter.elapsed >= Duration::from_millis(900) && waiter.elapsed < Duration::from_secs(3),
        "{}",
        waiter.show()
    );
    let line = error_line(&waiter);
    assert!(line.contains("waiting for the lock"), "{line}");
    assert!(line.contains(".update.lock"), "{line}");
    assert!(waiter.stdout.is_empty());
    assert_no_traffic(&server);
}
