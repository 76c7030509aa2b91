//! `http://127.0.0.1:+PORT/v1` is refused by the configuration check (exit
//! 2, the port named) instead of failing every attempt until the deadline.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{bare, run};

#[test]
fn a_signed_port_exits_2_up_front() {
    let mut command = bare(&["token", "--deadline", "20"]);
    command
        .env("REVAULT_API_URL", "http://127.0.0.1:+9/v1")
        .env("REVAULT_WORKSPACE", "ws")
        .env("REVAULT_API_KEY_ID", "key-id")
        .env("REVAULT_API_KEY_SECRET", "s3cr3t-value");
    let run = run(command, Duration::from_secs(15));
    assert_eq!(run.code(), Some(2), "{}", run.show());
    assert!(run.stderr.contains("port"), "{}", run.show());
    assert!(run.elapsed < Duration::from_secs(10), "{}", run.show());
}
