//! A 401 whose `message` and `code` are 292 characters of padding followed
//! by the API key secret must not print any of the secret (`error:` line of
//! `token`, the `failed` event of `watch`): secrets are scrubbed before
//! messages are cut.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, emulator, run};
use common::SECRET;
use revault_auth_mock::{Fault, MockServer, Target};

fn hostile_401(server: &MockServer) {
    let padded = format!("{}{SECRET}", "x".repeat(292));
    let body = serde_json::json!({ "message": padded, "code": padded }).to_string();
    server.set_persistent_fault(
        Target::Token,
        Some(Fault::status_with_body(401, body.into_bytes())),
    );
}

/// The first characters of the secret, which a cut at 300 left in view.
fn prefix() -> &'static str {
    &SECRET[..6]
}

#[test]
fn token_prints_no_prefix_of_the_secret_after_292_characters_of_padding() {
    let server = emulator();
    hostile_401(&server);
    let refused = run(against(&server, &["token"]), Duration::from_secs(20));
    assert_eq!(refused.code(), Some(3), "{}", refused.show());
    assert!(refused.stderr.contains("xxxx"), "{}", refused.show());
    assert!(!refused.stderr.contains(prefix()), "{}", refused.show());
    assert_no_secrets(&refused, &[]);
}

#[test]
fn watch_prints_no_prefix_of_the_secret_after_292_characters_of_padding() {
    let server = emulator();
    hostile_401(&server);
    let watched = run(
        against(&server, &["watch", "--duration", "5"]),
        Duration::from_secs(20),
    );
    assert_eq!(watched.code(), Some(3), "{}", watched.show());
    assert!(watched.stdout.contains("\"failed\""), "{}", watched.show());
    assert!(watched.stdout.contains("xxxx"), "{}", watched.show());
    assert!(!watched.stdout.contains(prefix()), "{}", watched.show());
    assert!(!watched.stderr.contains(prefix()), "{}", watched.show());
    assert_no_secrets(&watched, &[]);
}
