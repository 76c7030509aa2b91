//! The Redis password authenticates (from the URL or from a file) and
//! appears in no `Debug`, `Display` or error, whatever fails.

mod common;

use std::time::{Duration, Instant};

use common::{PASSWORD, key, server_or_skip, tokens};
use revault_auth_store_redis::{ConfigError, RedisStore, StoreError, TokenStore};

fn assert_hidden(what: &str, text: &str, secret: &str) {
    assert!(!text.contains(secret), "{what} shows the password: {text}");
}

fn assert_error_hides(error: &StoreError, secret: &str) {
    assert_hidden("Display", &error.to_string(), secret);
    assert_hidden("Debug", &format!("{error:?}"), secret);
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        assert_hidden("a source", &cause.to_string(), secret);
        source = cause.source();
    }
}

#[test]
fn the_password_appears_in_no_debug_display_or_error() {
    let server = server_or_skip!();
    let store = RedisStore::connect(&server.url()).expect("store");
    assert_hidden("Debug", &format!("{store:?}"), PASSWORD);
    assert!(format!("{store:?}").contains(&format!("127.0.0.1:{}", server.port())));

    // A lock timeout names the server, not the password.
    let _held = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(2))
        .expect("lock");
    let error = store
        .lock_for_update(&key(), Instant::now() + Duration::from_millis(100))
        .expect_err("held");
    assert_error_hides(&error, PASSWORD);

    // The server gone: connection errors.
    drop(server);
    let down = RedisStore::connect(&format!(
        "redis://:{PASSWORD}@127.0.0.1:{}",
        common::free_port()
    ))
    .expect("store");
    assert_error_hides(&down.load(&key()).expect_err("down"), PASSWORD);
    assert_error_hides(
        &down.save(&key(), &tokens("zz-x"), None).expect_err("down"),
        PASSWORD,
    );
}

#[test]
fn refused_credentials_are_a_typed_error_without_the_password() {
    let server = server_or_skip!();
    let wrong = "zz-wrong-password-0b7d";
    let store = RedisStore::connect(&format!("redis://:{wrong}@127.0.0.1:{}", server.port()))
        .expect("store");
    let error = store.load(&key()).expect_err("refused");
    match &error {
        StoreError::Unreachable { source, .. } => {
            assert_eq!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied,
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_error_hides(&error, wrong);
    assert_error_hides(&error, PASSWORD);
}

#[test]
fn a_password_file_authenticates() {
    let server = server_or_skip!();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("redis-password");
    std::fs::write(&file, format!("{PASSWORD}\n")).expect("write");
    let store = RedisStore::connect_with_password_file(&server.bare_url(), &file).expect("store");
    assert_hidden("Debug", &format!("{store:?}"), PASSWORD);
    let version = store.save(&key(), &tokens("zz-file"), None).expect("save");
    assert_eq!(
        server
            .store()
            .load(&key())
            .expect("load")
            .map(|saved| saved.version),
        Some(version)
    );
}

#[test]
fn a_missing_password_file_is_a_config_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("absent");
    match RedisStore::connect_with_password_file("redis://127.0.0.1:6379", &file) {
        Err(ConfigError::PasswordFile { path, .. }) => assert_eq!(path, file),
        other => panic!("{other:?}"),
    }
}

/// Set in the child process of the test below: the URL to connect to.
const CHILD_URL_VAR: &str = "REVAULT_TEST_PASSWORD_FILE_CHILD_URL";

#[test]
fn the_password_file_variable_is_read_when_the_url_has_none() {
    let server = server_or_skip!();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("redis-password");
    std::fs::write(&file, format!("{PASSWORD}\n")).expect("write");
    // A child process: the variable is the process's environment.
    let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "password_file_child", "--nocapture"])
        .env(CHILD_URL_VAR, server.bare_url())
        .env(revault_auth_store_redis::PASSWORD_FILE_VAR, &file)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("child");
    assert!(status.success());
    let saved = server.store().load(&key()).expect("load").expect("saved");
    assert_eq!(saved.access_token.expose_secret(), "zz-from-the-variable");
}

/// The child of the test above: saves through a store whose URL has no
/// password.
#[test]
#[ignore = "run by the_password_file_variable_is_read_when_the_url_has_none"]
fn password_file_child() {
    let Some(url) = std::env::var_os(CHILD_URL_VAR) else {
        return;
    };
    let store = RedisStore::connect(url.to_str().expect("UTF-8")).expect("store");
    store
        .save(&key(), &tokens("zz-from-the-variable"), None)
        .expect("authenticated with the file's password");
}
