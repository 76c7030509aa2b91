//! An API URL or a path that cannot work is a usage error (exit 2), before
//! any traffic, that echoes no password and no more than a few dozen
//! characters of any value: a fragment in the API URL (`get /accounts`
//! would go to the base path), `get /../rest2` (it would reach
//! `/v1/rest2`), ports 0 and 99999 (they would fail later, with exit 4),
//! a URL with `user:pass@`, and 100 KB values.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, assert_no_traffic, emulator, error_line, run};
use revault_auth_mock::MockServer;

fn with_url(server: &MockServer, url: &str, args: &[&str]) -> cli_support::Run {
    let mut command = against(server, args);
    command.env("REVAULT_API_URL", url);
    run(command, Duration::from_secs(20))
}

fn assert_usage_error(run: &cli_support::Run, says: &str) {
    assert_eq!(run.code(), Some(2), "{}", run.show());
    let line = error_line(run);
    assert!(line.contains(says), "{}", run.show());
    assert!(line.len() < 1200, "{} characters", line.len());
    assert_no_secrets(run, &[]);
}

#[test]
fn a_fragment_in_the_api_url_is_refused() {
    let server = emulator();
    let url = format!("{}#section", server.base_url());
    let refused = with_url(&server, &url, &["get", "/accounts"]);
    assert_usage_error(&refused, "fragment");
    assert_no_traffic(&server);
}

#[test]
fn a_path_climbing_out_of_the_base_is_refused() {
    let server = emulator();
    for path in ["/../rest2", "/%2e%2e/rest2", "/./../rest2/x"] {
        let refused = run(against(&server, &["get", path]), Duration::from_secs(20));
        assert_usage_error(&refused, "under the API base URL");
    }
    assert_no_traffic(&server);
    // Staying under it is fine.
    let fine = run(
        against(&server, &["get", "/accounts/../users"]),
        Duration::from_secs(20),
    );
    assert_eq!(fine.code(), Some(0), "{}", fine.show());
}

#[test]
fn ports_0_and_99999_are_configuration_errors() {
    let server = emulator();
    for url in [
        "http://127.0.0.1:0/v1/rest",
        "http://127.0.0.1:99999/v1/rest",
    ] {
        let refused = with_url(&server, url, &["token", "--deadline", "2"]);
        assert_usage_error(&refused, "port");
    }
}

#[test]
fn user_information_is_refused_without_echoing_the_password() {
    let server = emulator();
    let url = server
        .base_url()
        .replace("http://", "http://admin:hunter2-password@");
    let refused = with_url(&server, &url, &["token"]);
    assert_usage_error(&refused, "user information");
    assert!(
        !refused.stderr.contains("hunter2-password"),
        "{}",
        refused.show()
    );
    assert!(!refused.stderr.contains("admin"), "{}", refused.show());
    // Nor when the rest of the URL does not parse.
    let broken = "http://admin:hunter2-password@[::1/v1/rest";
    let refused = with_url(&server, broken, &["token"]);
    assert_usage_error(&refused, "user information");
    assert!(
        !refused.stderr.contains("hunter2-password"),
        "{}",
        refused.show()
    );
    assert_no_traffic(&server);
}

#[test]
fn a_100_kb_value_is_not_echoed_whole() {
    let server = emulator();
    let long = "a".repeat(100 * 1024);
    let url = format!("{}/{long}", server.base_url());
    let refused = with_url(&server, &url, &["token"]);
    assert_usage_error(&refused, "API URL");

    let path = format!("/{long} with a space");
    let refused = run(against(&server, &["get", &path]), Duration::from_secs(20));
    assert_usage_error(&refused, "PATH");

    let refused = run(
        against(&server, &["token", "--deadline", &long]),
        Duration::from_secs(20),
    );
    assert_usage_error(&refused, "deadline");
    assert_no_traffic(&server);
}
