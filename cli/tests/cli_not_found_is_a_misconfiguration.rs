//! A 404 from `/auth/token` means the API URL is wrong: a configuration
//! error (exit 2, the status shown), never "gave up on transient failures"
//! (exit 4); `watch` labels it `misconfigured` with its status.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against_url, run};
use hostile::{Scripted, json_answer};

fn not_found() -> Scripted {
    Scripted::start(|_| json_answer("404 Not Found", r#"{"message":"no such route"}"#.to_owned()))
}

#[test]
fn token_exits_2_on_a_404_and_shows_the_status() {
    let server = not_found();
    let run = run(
        against_url(&server.base_url, &["token", "--deadline", "5"]),
        Duration::from_secs(20),
    );
    assert_eq!(run.code(), Some(2), "{}", run.show());
    assert!(run.stderr.contains("404"), "{}", run.show());
    assert!(run.stderr.contains("API URL"), "{}", run.show());
    assert_eq!(server.count("/auth/token"), 1, "asked once");
}

#[test]
fn watch_labels_a_404_misconfigured_with_its_status() {
    let server = not_found();
    let run = run(
        against_url(&server.base_url, &["watch", "--duration", "3"]),
        Duration::from_secs(20),
    );
    let failed: serde_json::Value = run
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["error_class"].is_string())
        .unwrap_or_else(|| panic!("an error event: {}", run.show()));
    assert_eq!(failed["error_class"], "misconfigured", "{}", run.show());
    assert_eq!(failed["status"], 404, "{}", run.show());
    assert_eq!(run.code(), Some(2), "{}", run.show());
}
