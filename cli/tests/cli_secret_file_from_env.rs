//! `REVAULT_API_KEY_SECRET_FILE` names the file holding the API key secret
//! (as a deployment mounts it); with `REVAULT_API_KEY_SECRET` also set the
//! run stops before any traffic, naming both.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{
    against, assert_no_secrets, assert_no_traffic, emulator, error_line, looks_like_jwt, run,
};
use common::SECRET;

fn secret_file(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("api-key-secret");
    std::fs::write(&path, format!("{SECRET}\n")).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

#[test]
fn token_reads_the_secret_from_revault_api_key_secret_file() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("dir");
    let mut command = against(&server, &["token"]);
    command
        .env_remove("REVAULT_API_KEY_SECRET")
        .env("REVAULT_API_KEY_SECRET_FILE", secret_file(dir.path()));
    let ok = run(command, Duration::from_secs(20));
    assert_eq!(ok.code(), Some(0), "{}", ok.show());
    assert!(looks_like_jwt(ok.stdout.trim_end()), "{}", ok.show());
    assert!(ok.stderr.is_empty(), "{}", ok.show());
    assert_eq!(
        server.token_requests(),
        1,
        "the emulator accepted the secret"
    );
}

#[test]
fn the_secret_and_its_file_both_set_exit_2_naming_both() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("dir");
    let mut command = against(&server, &["token"]);
    command.env("REVAULT_API_KEY_SECRET_FILE", secret_file(dir.path()));
    let refused = run(command, Duration::from_secs(20));
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    let line = error_line(&refused);
    assert!(
        line.contains("REVAULT_API_KEY_SECRET and REVAULT_API_KEY_SECRET_FILE"),
        "{line}"
    );
    assert_no_secrets(&refused, &[]);
    assert_no_traffic(&server);
}

#[test]
fn a_missing_secret_file_from_the_environment_is_named_without_traffic() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("dir");
    let mut command = against(&server, &["token"]);
    command
        .env_remove("REVAULT_API_KEY_SECRET")
        .env("REVAULT_API_KEY_SECRET_FILE", dir.path().join("not-there"));
    let refused = run(command, Duration::from_secs(20));
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("not-there"),
        "{}",
        refused.show()
    );
    assert_no_traffic(&server);
}
