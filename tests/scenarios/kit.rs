//! The scenarios' kit beside the shared fixtures (re-exported from
//! `tests/common`): the emulator's verdict on a token, waiting helpers that
//! run under every runtime, a wall clock that jumps, and raw servers for
//! answers the emulator cannot give.

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use revault_auth::tokio::WallClock;
use revault_auth::{AccessToken, Event};
use revault_auth_mock::MockServer;
use tokio::sync::broadcast::Receiver;

pub use crate::common::*;

/// Whether the emulator accepts `token` on a protected route.
pub fn accepted(server: &MockServer, token: &AccessToken) -> bool {
    ureq::get(server.url("/accounts"))
        .header("authorization", token.header_value())
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .is_ok_and(|answer| answer.status() == 200)
}

/// Sleeps on a timer of its own, under any runtime.
pub async fn sleep(duration: Duration) {
    smol::Timer::after(duration).await;
}

/// Sleeps until `deadline` (at once if it has passed).
pub async fn sleep_until(deadline: Instant) {
    sleep(deadline.saturating_duration_since(Instant::now())).await;
}

/// `future`'s output, or `None` once `limit` has passed.
pub async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    smol::future::or(async { Some(future.await) }, async {
        sleep(limit).await;
        None
    })
    .await
}

/// Polls `done` every 10 ms for up to 10 s.
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        sleep(Duration::from_millis(10)).await;
    }
    done()
}

/// The events received so far.
pub fn drain(events: &mut Receiver<Event>) -> Vec<Event> {
    std::iter::from_fn(|| events.try_recv().ok()).collect()
}

/// A wall clock the test moves forward, as a suspend would, counting how
/// often the manager reads it.
#[derive(Clone, Default)]
pub struct JumpClock {
    ahead_ms: Arc<AtomicU64>,
    reads: Arc<AtomicU64>,
}

impl JumpClock {
    pub fn wall(&self) -> WallClock {
        let (ahead, reads) = (Arc::clone(&self.ahead_ms), Arc::clone(&self.reads));
        WallClock::new(move || {
            reads.fetch_add(1, Ordering::SeqCst);
            SystemTime::now() + Duration::from_millis(ahead.load(Ordering::SeqCst))
        })
    }

    pub fn jump(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).expect("a short jump");
        self.ahead_ms.fetch_add(by, Ordering::SeqCst);
    }

    /// Times the manager read this wall clock.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }
}

/// What a raw server on another local port received.
#[derive(Clone, Default)]
pub struct Received {
    connections: Arc<AtomicUsize>,
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl Received {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Whether any request it received carried `needle`.
    pub fn saw(&self, needle: &str) -> bool {
        let bytes = self.bytes.lock().expect("received");
        String::from_utf8_lossy(&bytes).contains(needle)
    }
}

/// A redirect target: a listener on another local port that answers every
/// connection with a token-shaped 200, so following a redirect to it would
/// "work". Returns its URL and what it received.
pub fn redirect_trap() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a trap");
    let url = format!(
        "http://{}/v1/rest/auth/token",
        listener.local_addr().expect("trap address")
    );
    let received = Received::default();
    let seen = received.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            seen.connections.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let read = stream.read(&mut buffer).unwrap_or(0);
            seen.bytes
                .lock()
                .expect("received")
                .extend_from_slice(&buffer[..read]);
            let body = r#"{"accessToken":"trap-token","expiresInSeconds":60,"refreshToken":"trap-refresh","refreshExpiresInSeconds":120}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, received)
}

pub const TEN_MB: usize = 10 * 1024 * 1024;
static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// How far a [`huge_server`] got on its longest connection.
#[derive(Clone, Default)]
pub struct Streamed {
    most: Arc<AtomicUsize>,
    completed: Arc<AtomicBool>,
}

impl Streamed {
    /// The most body bytes written on one connection before the client hung up.
    pub fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    /// Whether a client read a whole 10 MB body.
    pub fn completed(&self) -> bool {
        self.completed.load(Ordering::SeqCst)
    }
}

/// A server answering every connection with a 200 and a 10 MB body in
/// 64 KiB pieces, paced so that a client hanging up stops it early: with a
/// `Content-Length` or, when `chunked`, without one. Returns the API URL.
pub fn huge_server(chunked: bool) -> (String, Streamed) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1/rest", listener.local_addr().expect("addr"));
    let streamed = Streamed::default();
    let seen = streamed.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let _ = stream.read(&mut [0u8; 8192]);
                let length = if chunked {
                    "transfer-encoding: chunked".to_owned()
                } else {
                    format!("content-length: {TEN_MB}")
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}\r\n\r\n"
                );
                let frame = |piece: &[u8]| -> Vec<u8> {
                    if !chunked {
                        return piece.to_vec();
                    }
                    let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                    framed.extend_from_slice(piece);
                    framed.extend_from_slice(b"\r\n");
                    framed
                };
                let piece = frame(&CHUNK);
                let mut sent = 0;
                let mut open = stream.write_all(head.as_bytes()).is_ok();
                while open && sent < TEN_MB {
                    open = stream.write_all(&piece).is_ok();
                    if open {
                        sent += CHUNK.len();
                        seen.most.fetch_max(sent, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                if sent >= TEN_MB && (!chunked || stream.write_all(b"0\r\n\r\n").is_ok()) {
                    seen.completed.store(true, Ordering::SeqCst);
                }
            });
        }
    });
    (url, streamed)
}
