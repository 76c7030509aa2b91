//! Shared by the end-to-end tests: an emulator with short lifetimes and a
//! configuration pointing at it, with distinctive secrets so secret-hygiene
//! checks can search output for them.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::Duration;

use revault_auth_core::{ApiKeySecret, Config, ConfigBuilder};
use revault_auth_mock::{MockConfig, MockServer};

/// An API key secret nobody could mistake for anything else.
pub const SECRET: &str = "e2e-api-key-secret-7f3a9c1d";
pub const WORKSPACE: &str = "e2e-workspace";
pub const KEY_ID: &str = "e2e-key-id";

/// Emulator settings matching [`config_for`], with the given lifetimes.
pub fn mock_config(access_ttl: Duration, refresh_ttl: Duration) -> MockConfig {
    MockConfig {
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        api_key_secret: SECRET.to_owned(),
        ..MockConfig::default()
    }
    .with_ttls(access_ttl, refresh_ttl)
}

/// A builder for a core configuration that authenticates against `server`,
/// with a fast backoff so tests finish quickly.
pub fn config_for(server: &MockServer) -> ConfigBuilder {
    Config::builder(
        server.base_url(),
        WORKSPACE,
        KEY_ID,
        ApiKeySecret::new(SECRET),
    )
    .tune(|policy| {
        policy.backoff_base = Duration::from_millis(20);
        policy.backoff_cap = Duration::from_millis(500);
        policy.request_timeout = Duration::from_secs(2);
        policy.retry_after_cap = Duration::from_secs(5);
    })
}

/// A plain TCP listener on another local port that counts connections and
/// answers each with a token-shaped 200, so following a redirect to it
/// would "work". Runtime-free (a std thread). Returns the URL to redirect
/// to and the connection counter.
pub fn redirect_trap() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a trap");
    let url = format!(
        "http://{}/v1/rest/auth/token",
        listener.local_addr().expect("trap address")
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let body = r#"{"accessToken":"trap-token","expiresInSeconds":60,"refreshToken":"trap-refresh","refreshExpiresInSeconds":120}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, connections)
}

// A raw server for the body-cap tests of the blocking adapters.

/// Resets the process's peak resident set size (Linux), so the next
/// reading of `VmHWM` covers only what follows.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A `/proc/self/status` field in KiB.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub const TEN_MB: usize = 10 * 1024 * 1024;
static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// Answers every connection with a 10 MB body written from a static buffer,
/// so the server itself allocates nothing large.
pub fn huge_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1/rest", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.read(&mut [0u8; 4096]);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {TEN_MB}\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).is_err() {
                continue;
            }
            let mut sent = 0;
            while sent < TEN_MB && stream.write_all(&CHUNK).is_ok() {
                sent += CHUNK.len();
            }
        }
    });
    url
}
pub mod host;
