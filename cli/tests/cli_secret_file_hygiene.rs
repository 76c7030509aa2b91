#![cfg(unix)]
//! A secret file saved by an editor with a UTF-8 byte order mark sends the
//! secret, not U+FEFF before it; a secret file readable by group or others
//! is used with a warning naming the file and the mode (as the token cache
//! is private, the secret should be too), and a private one without.

mod cli_support;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use cli_support::{against, assert_clean, emulator, looks_like_jwt, run};
use common::SECRET;
use revault_auth_mock::MockServer;

fn write_secret(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::write(path, bytes).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn token_with(server: &MockServer, path: &Path) -> cli_support::Run {
    let mut command = against(
        server,
        &["token", "--deadline", "5", "--api-key-secret-file"],
    );
    command.arg(path).env_remove("REVAULT_API_KEY_SECRET");
    run(command, Duration::from_secs(20))
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_secret() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("secret");
    write_secret(&path, format!("\u{feff}{SECRET}\n").as_bytes(), 0o600);

    let run = token_with(&server, &path);
    assert_eq!(run.code(), Some(0), "{}", run.show());
    assert!(looks_like_jwt(run.stdout.trim_end()), "{}", run.show());
    assert!(run.stderr.is_empty(), "{}", run.show());
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn a_secret_file_open_to_others_is_used_with_a_warning() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("dir");
    let open = dir.path().join("open-secret");
    write_secret(&open, format!("{SECRET}\n").as_bytes(), 0o644);
    let private = dir.path().join("private-secret");
    write_secret(&private, format!("{SECRET}\n").as_bytes(), 0o600);

    let warned = token_with(&server, &open);
    assert_eq!(warned.code(), Some(0), "{}", warned.show());
    let warning = warned.stderr.trim_end();
    assert!(warning.starts_with("warning: "), "{}", warned.show());
    assert!(warning.contains("open-secret"), "{}", warned.show());
    assert!(warning.contains("0644"), "{}", warned.show());
    assert_eq!(warned.stderr.lines().count(), 1, "{}", warned.show());
    assert_clean("stderr", &warned.stderr, &[], &warned);

    let quiet = token_with(&server, &private);
    assert_eq!(quiet.code(), Some(0), "{}", quiet.show());
    assert!(quiet.stderr.is_empty(), "{}", quiet.show());
}
