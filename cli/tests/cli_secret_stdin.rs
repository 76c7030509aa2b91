//! `--api-key-secret-file -` reads the secret from stdin.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_clean, emulator, looks_like_jwt, run_with_input};
use common::SECRET;

#[test]
fn secret_is_read_from_stdin() {
    let server = emulator();
    let mut command = against(&server, &["token", "--api-key-secret-file", "-"]);
    command.env_remove("REVAULT_API_KEY_SECRET");

    let run = run_with_input(
        command,
        format!("{SECRET}\n").as_bytes(),
        Duration::from_secs(20),
    );

    assert_eq!(run.code(), Some(0), "{}", run.show());
    assert!(looks_like_jwt(run.stdout.trim_end()), "{}", run.show());
    assert_eq!(server.token_requests(), 1);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.show());
    assert_clean("stderr", &run.stderr, &[run.stdout.trim_end()], &run);
}
