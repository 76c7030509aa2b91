//! With every proxy variable set (as on many corporate hosts), `token` and
//! `get` against a loopback API send nothing to the proxy: the API key
//! secret and the bearer token go straight to this machine's server.

mod cli_support;
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cli_support::{against, run};
use common::mock_config;
use revault_auth_mock::MockServer;

/// A loopback listener that records every byte sent to it and answers
/// nothing useful.
fn capturing_proxy() -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                log.lock().expect("log").extend_from_slice(&buffer[..read]);
            }
        }
    });
    (format!("http://{address}"), seen)
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
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator");
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
