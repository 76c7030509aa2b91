//! With every proxy variable set (as on many corporate hosts), `token` and
//! `get` against a loopback API send nothing to the proxy: the API key
//! secret and the bearer token go straight to this machine's server.

#[path = "../../tests/support/capturing.rs"]
mod capturing;
mod cli_support;
mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cli_support::{against, emulator, run};

/// A loopback proxy that records every byte sent to it and answers
/// nothing: its URL and the record.
fn capturing_proxy() -> (String, Arc<Mutex<Vec<u8>>>) {
    let (port, seen) = capturing::capturing("");
    (format!("http://127.0.0.1:{port}"), seen)
}

fn behind(proxy: &str, mut command: Command) -> Command {
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env(name, proxy);
    }
    command.env_remove("NO_PROXY").env_remove("no_proxy");
    command
}

#[test]
fn token_and_get_bypass_every_proxy_for_a_loopback_api() {
    let server = emulator();
    let (proxy, proxy_saw) = capturing_proxy();

    let token = run(
        behind(&proxy, against(&server, &["token", "--deadline", "5"])),
        Duration::from_secs(20),
    );
    let get = run(
        behind(
            &proxy,
            against(&server, &["get", "/accounts", "--deadline", "5"]),
        ),
        Duration::from_secs(20),
    );

    let seen = String::from_utf8_lossy(&proxy_saw.lock().expect("log")).into_owned();
    assert!(seen.is_empty(), "the proxy saw: {seen}");
    assert_eq!(token.code(), Some(0), "{}", token.show());
    assert_eq!(get.code(), Some(0), "{}", get.show());
    assert_eq!(server.protected_requests(), 1, "the GET reached the server");
}
