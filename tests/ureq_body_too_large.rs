//! A server answering 200 with a 10 MB body: the transport stops reading
//! past the cap (64 KiB), memory stays bounded, and the failure is reported
//! as `BodyTooLarge`.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{KEY_ID, SECRET, WORKSPACE};
use revault_auth_core::{ApiKeySecret, AuthError, Config, TokenError, TransportErrorKind};
use revault_auth_ureq::BlockingTokenManager;

/// Resets the process's peak resident set size (Linux), so the next
/// reading of `VmHWM` covers only what follows.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const TEN_MB: usize = 10 * 1024 * 1024;
static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// Answers every connection with a 10 MB body written from a static buffer,
/// so the server itself allocates nothing large.
fn huge_server() -> String {
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

#[test]
fn a_ten_megabyte_body_is_refused_with_bounded_memory() {
    let url = huge_server();
    let config = Config::builder(url, WORKSPACE, KEY_ID, ApiKeySecret::new(SECRET))
        .tune(|policy| policy.backoff_base = Duration::from_millis(50))
        .build()
        .expect("config");
    let manager = BlockingTokenManager::new(config)
        .expect("manager")
        .wait_timeout(Duration::from_millis(500));

    let measured = reset_peak();
    let baseline = status_kib("VmRSS:");
    let result = manager.token();
    let peak = status_kib("VmHWM:");

    match result {
        Err(TokenError::TimedOut {
            last_error: Some(AuthError::Transport(TransportErrorKind::BodyTooLarge)),
            ..
        }) => {}
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    match (measured, baseline, peak) {
        (true, Some(baseline), Some(peak)) => {
            let growth = peak.saturating_sub(baseline);
            assert!(growth < 3 * 1024, "resident memory grew by {growth} KiB");
        }
        _ => eprintln!("peak RSS not measurable here; only the refusal was checked"),
    }
}
