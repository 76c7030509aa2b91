//! A 10 MB answer is refused without being buffered: with a Content-Length
//! it is refused unread, and a chunked one is dropped once past the cap.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth::core::TransportErrorKind;
use revault_auth::tokio::{TokenError, TokenManager};
use revault_auth::{AuthError, Event};
use revault_auth_mock::{Fault, MockServer, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TEN_MB: usize = 10 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn ten_megabytes_with_a_length_are_refused() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    server.push_fault(Target::Token, Fault::malformed_ok(vec![b' '; TEN_MB]));
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("runtime");
    let mut events = manager.subscribe();
    manager.token().await.expect("a token on the next attempt");
    let mut refused = false;
    while let Ok(event) = events.try_recv() {
        if let Event::RetryScheduled { error, .. } = event {
            assert_eq!(
                error,
                AuthError::Transport(TransportErrorKind::BodyTooLarge)
            );
            refused = true;
        }
    }
    assert!(refused);
    assert_eq!(server.token_requests(), 2);
    manager.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_chunked_megabytes_are_cut_short() {
    // A server streaming 10 MB in 64 KiB chunks, paced, with no length.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v1/rest", listener.local_addr().expect("addr"));
    let written = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicBool::new(false));
    let (w, c) = (Arc::clone(&written), Arc::clone(&completed));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (w, c) = (Arc::clone(&w), Arc::clone(&c));
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                frame.extend_from_slice(&chunk);
                frame.extend_from_slice(b"\r\n");
                let mut sent = 0;
                for _ in 0..TEN_MB / chunk.len() {
                    if stream.write_all(&frame).await.is_err() {
                        break;
                    }
                    sent += chunk.len();
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                w.fetch_max(sent, Ordering::SeqCst);
                if sent < TEN_MB {
                    return;
                }
                c.store(true, Ordering::SeqCst);
                let _ = stream.write_all(b"0\r\n\r\n").await;
            });
        }
    });

    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator (for its configuration only)");
    let config = config_for(&server).api_url(base).build().expect("config");
    let manager = TokenManager::new(config)
        .expect("runtime")
        .wait_timeout(Duration::from_millis(600));
    let error = manager.token().await.expect_err("never a token");
    assert!(
        matches!(
            error,
            TokenError::TimedOut {
                last_error: Some(AuthError::Transport(TransportErrorKind::BodyTooLarge)),
                ..
            }
        ),
        "{error:?}"
    );
    manager.shutdown().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !completed.load(Ordering::SeqCst),
        "a body was read to its end"
    );
    // The kernel's socket buffers take some; the client read at most 64 KiB
    // and one chunk before hanging up.
    let most = written.load(Ordering::SeqCst);
    assert!(
        most > 0 && most < TEN_MB / 2,
        "{most} bytes on one connection"
    );
}
