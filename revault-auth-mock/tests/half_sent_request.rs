//! A client that sends half a request and stops must not hold a connection
//! (and a server task) forever: the head is cut off after
//! `request_read_timeout`, a stalled body is answered 408.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use revault_auth_mock::MockConfig;

const READ_TIMEOUT: Duration = Duration::from_millis(300);
/// Far beyond the configured timeout: a server without one hangs here.
const GIVE_UP: Duration = Duration::from_secs(5);

fn config() -> MockConfig {
    MockConfig {
        request_read_timeout: READ_TIMEOUT,
        ..MockConfig::default()
    }
}

/// Reads until the server closes the connection; what it sent and when.
fn until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    stream.set_read_timeout(Some(GIVE_UP)).expect("timeout");
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return (received, started.elapsed()),
            Ok(read) => received.extend_from_slice(&buffer[..read]),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!(
                    "the server still holds the half-sent request after {:?}",
                    started.elapsed()
                )
            }
            // A reset also ends it.
            Err(_) => return (received, started.elapsed()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_dropped_after_the_read_timeout() {
    let server = common::start(config()).await;
    let addr = server.addr();
    let (received, waited) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .write_all(b"POST /v1/rest/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
            .expect("half a head");
        until_closed(&mut stream)
    })
    .await
    .expect("client thread");
    assert!(waited < GIVE_UP, "{waited:?}");
    assert!(waited >= READ_TIMEOUT / 2, "closed too early: {waited:?}");
    // Nothing reached the handlers.
    assert_eq!(server.token_requests(), 0);
    let shown = String::from_utf8_lossy(&received);
    assert!(!shown.contains("200 OK"), "{shown}");
    // And the server still serves everyone else.
    let body = common::authenticate(&common::client(), &server).await;
    assert!(body["accessToken"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_body_is_answered_408_and_logged() {
    let server = common::start(config()).await;
    let addr = server.addr();
    let (received, waited) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .write_all(
                b"POST /v1/rest/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"worksp",
            )
            .expect("head and a bit of body");
        until_closed(&mut stream)
    })
    .await
    .expect("client thread");
    assert!(waited < GIVE_UP, "{waited:?}");
    let shown = String::from_utf8_lossy(&received);
    assert!(shown.starts_with("HTTP/1.1 408"), "{shown}");
    let log = server.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].status, Some(408));
}

#[test]
fn the_read_timeout_defaults_to_ten_seconds() {
    assert_eq!(
        MockConfig::default().request_read_timeout,
        Duration::from_secs(10)
    );
}
