//! Hostile answers through every adapter over loopback: a raw TCP server
//! answers every request with the same broken, malicious or merely odd
//! bytes. Each case must end in a typed error (or, for the few lenient
//! cases, a token), never a panic, with bounded memory: bodies are capped,
//! slow answers time out, redirects are never followed.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use revault_auth_core::{ApiKeySecret, AuthError, Config, ErrorClass, TokenError};

/// What the server does with each connection.
#[derive(Clone)]
enum Behaviour {
    /// Write these bytes and close.
    Bytes(Vec<u8>),
    /// Write a 200 head announcing `total` bytes, then stream them.
    Huge { total: usize },
    /// Write a response head, then one body byte a second.
    Trickle,
    /// Write a head and half a body, then reset the connection.
    ResetMidBody,
    /// Close without writing anything.
    CloseAtOnce,
    /// Redirect to the decoy listener.
    RedirectToDecoy(u16),
}

/// How a case must end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// A token (answers we accept on purpose).
    Token,
    /// The body was unusable.
    Invalid,
    /// A transport failure or timeout.
    Transport,
    /// Either a transport failure or an unusable body: clients differ on
    /// where they draw the line (hyper accepts a 200 KB header, ureq not).
    Broken,
    /// An error status, retried.
    Status,
    /// Rate limited, retried.
    RateLimited,
    /// A terminal error of this class.
    Terminal(ErrorClass),
}

struct Case {
    name: &'static str,
    behaviour: Behaviour,
    expect: Expect,
}

const GOOD: &str = r#"{"accessToken":"hostile.jwt.ok","expiresInSeconds":300,"refreshToken":"hostile-refresh","refreshExpiresInSeconds":1800}"#;

fn http(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn json(status: &str, body: &str) -> Behaviour {
    Behaviour::Bytes(http(status, "application/json", body.as_bytes()))
}

fn raw(bytes: &[u8]) -> Behaviour {
    Behaviour::Bytes(bytes.to_vec())
}

fn cases(decoy: u16) -> Vec<Case> {
    use Expect::*;
    let html = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let token_field = |value: &str| {
        format!(
            r#"{{"accessToken":{value},"expiresInSeconds":300,"refreshToken":"r","refreshExpiresInSeconds":1800}}"#
        )
    };
    let lifetime = |value: &str| {
        format!(
            r#"{{"accessToken":"a.b.c","expiresInSeconds":{value},"refreshToken":"r","refreshExpiresInSeconds":1800}}"#
        )
    };
    vec![
        Case { name: "html 200 page", behaviour: Behaviour::Bytes(http("200 OK", "text/html", html)), expect: Invalid },
        Case { name: "html 500 page", behaviour: Behaviour::Bytes(http("500 Internal Server Error", "text/html", html)), expect: Status },
        Case { name: "html 502 from a proxy", behaviour: Behaviour::Bytes(http("502 Bad Gateway", "text/html", html)), expect: Status },
        Case { name: "html 401 page", behaviour: Behaviour::Bytes(http("401 Unauthorized", "text/html", html)), expect: Terminal(ErrorClass::CredentialsRejected) },
        Case { name: "html 400 page", behaviour: Behaviour::Bytes(http("400 Bad Request", "text/html", html)), expect: Status },
        Case { name: "truncated json", behaviour: json("200 OK", r#"{"accessToken":"abc","expiresIn"#), expect: Invalid },
        Case { name: "empty body", behaviour: json("200 OK", ""), expect: Invalid },
        Case { name: "json null", behaviour: json("200 OK", "null"), expect: Invalid },
        Case { name: "json array", behaviour: json("200 OK", "[]"), expect: Invalid },
        Case { name: "json string", behaviour: json("200 OK", r#""eyJ.a.b""#), expect: Invalid },
        Case { name: "token is a number", behaviour: json("200 OK", &token_field("12345")), expect: Invalid },
        Case { name: "token is null", behaviour: json("200 OK", &token_field("null")), expect: Invalid },
        Case { name: "token is an object", behaviour: json("200 OK", &token_field(r#"{"jwt":"x"}"#)), expect: Invalid },
        Case { name: "token is empty", behaviour: json("200 OK", &token_field(r#""""#)), expect: Invalid },
        Case { name: "token has a space", behaviour: json("200 OK", &token_field(r#""a b""#)), expect: Invalid },
        Case { name: "token injects a header", behaviour: json("200 OK", &token_field(r#""a\r\nX-Evil: 1""#)), expect: Invalid },
        Case { name: "lifetime is a string", behaviour: json("200 OK", &lifetime(r#""300""#)), expect: Invalid },
        Case { name: "lifetime zero", behaviour: json("200 OK", &lifetime("0")), expect: Invalid },
        Case { name: "lifetime negative", behaviour: json("200 OK", &lifetime("-300")), expect: Invalid },
        Case { name: "lifetime tiny fraction", behaviour: json("200 OK", &lifetime("0.001")), expect: Invalid },
        Case { name: "lifetime huge", behaviour: json("200 OK", &lifetime("1e308")), expect: Invalid },
        Case { name: "lifetime NaN literal", behaviour: json("200 OK", &lifetime("NaN")), expect: Invalid },
        Case { name: "lifetime fractional is fine", behaviour: json("200 OK", &lifetime("299.75")), expect: Token },
        Case { name: "missing access token", behaviour: json("200 OK", r#"{"expiresInSeconds":300,"refreshToken":"r","refreshExpiresInSeconds":1800}"#), expect: Invalid },
        Case { name: "missing refresh lifetime", behaviour: json("200 OK", r#"{"accessToken":"a","expiresInSeconds":300,"refreshToken":"r"}"#), expect: Invalid },
        Case { name: "duplicate keys", behaviour: json("200 OK", r#"{"accessToken":"a","accessToken":"b","expiresInSeconds":300,"refreshToken":"r","refreshExpiresInSeconds":1800}"#), expect: Invalid },
        Case { name: "non-utf8 body", behaviour: Behaviour::Bytes(http("200 OK", "application/json", &[0xff, 0xfe, 0x7b, 0x80, 0x7d])), expect: Invalid },
        Case { name: "utf8 bom before json", behaviour: Behaviour::Bytes(http("200 OK", "application/json", format!("\u{feff}{GOOD}").as_bytes())), expect: Invalid },
        Case { name: "deeply nested json", behaviour: json("200 OK", &nested), expect: Invalid },
        Case { name: "wrong content type, valid body", behaviour: Behaviour::Bytes(http("200 OK", "text/plain", GOOD.as_bytes())), expect: Token },
        Case { name: "unknown extra fields are tolerated", behaviour: json("200 OK", &GOOD.replace('}', r#","scope":"all"}"#)), expect: Token },
        Case { name: "10 MB body", behaviour: Behaviour::Huge { total: 10 * 1024 * 1024 }, expect: Transport },
        Case { name: "body trickles a byte a second", behaviour: Behaviour::Trickle, expect: Transport },
        Case { name: "reset mid-body", behaviour: Behaviour::ResetMidBody, expect: Transport },
        Case { name: "close before answering", behaviour: Behaviour::CloseAtOnce, expect: Transport },
        Case { name: "307 redirect to another port", behaviour: Behaviour::RedirectToDecoy(decoy), expect: Status },
        Case { name: "301 redirect", behaviour: raw(b"HTTP/1.1 301 Moved Permanently\r\nlocation: https://elsewhere.example/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"), expect: Status },
        Case { name: "204 no content", behaviour: raw(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"), expect: Status },
        Case { name: "304 not modified", behaviour: raw(b"HTTP/1.1 304 Not Modified\r\nconnection: close\r\n\r\n"), expect: Status },
        Case { name: "100 continue then close", behaviour: raw(b"HTTP/1.1 100 Continue\r\n\r\n"), expect: Transport },
        Case { name: "404 json error", behaviour: json("404 Not Found", r#"{"message":"no route","code":"NOT_FOUND"}"#), expect: Terminal(ErrorClass::Misconfigured) },
        Case { name: "418 teapot", behaviour: json("418 I'm a teapot", "{}"), expect: Status },
        Case { name: "429 without retry-after", behaviour: json("429 Too Many Requests", "{}"), expect: RateLimited },
        Case { name: "420 with garbage retry-after", behaviour: raw(b"HTTP/1.1 420 Enhance Your Calm\r\nretry-after: soon-ish\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"), expect: RateLimited },
        Case { name: "503 with retry-after in the past", behaviour: raw(b"HTTP/1.1 503 Service Unavailable\r\nretry-after: Wed, 21 Oct 2015 07:28:00 GMT\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"), expect: RateLimited },
        Case { name: "garbage status line", behaviour: raw(b"HTTP/1.1 abc nonsense\r\n\r\n"), expect: Transport },
        Case { name: "no status line at all", behaviour: raw(GOOD.as_bytes()), expect: Transport },
        Case { name: "content-length larger than body", behaviour: raw(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"accessToken\":"), expect: Transport },
        Case { name: "malformed chunked encoding", behaviour: raw(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\nhello\r\n"), expect: Transport },
        Case { name: "oversized header", behaviour: raw(format!("HTTP/1.1 200 OK\r\nx-junk: {}\r\ncontent-length: 0\r\n\r\n", "j".repeat(200_000)).as_bytes()), expect: Broken },
    ]
}

/// Reads one request (head and declared body) so the client is not reset
/// for unread data before it gets the answer.
fn read_request(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buffer[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                return;
            }
        }
    }
}

fn serve(stream: &mut TcpStream, behaviour: &Behaviour) {
    read_request(stream);
    match behaviour {
        Behaviour::Bytes(bytes) => {
            let _ = stream.write_all(bytes);
        }
        Behaviour::Huge { total } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {total}\r\n\r\n{{\"accessToken\":\""
            );
            let _ = stream.write_all(head.as_bytes());
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < *total && stream.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
        }
        Behaviour::Trickle => {
            let body = GOOD.as_bytes();
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            for byte in body {
                if stream.write_all(&[*byte]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_secs(1));
            }
        }
        Behaviour::ResetMidBody => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", GOOD.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&GOOD.as_bytes()[..GOOD.len() / 2]);
            let _ = stream.flush();
            thread::sleep(Duration::from_millis(50));
            let _ = socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO));
        }
        Behaviour::CloseAtOnce => {}
        Behaviour::RedirectToDecoy(port) => {
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{port}/v1/rest/auth/token\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    }
}

/// Starts a server answering every connection with `behaviour`; returns its
/// address. Its threads live until the test process ends.
fn hostile_server(behaviour: Behaviour) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let behaviour = behaviour.clone();
            thread::spawn(move || {
                let mut stream = stream;
                serve(&mut stream, &behaviour);
            });
        }
    });
    addr
}

/// A listener that only counts connections: nothing may ever reach it.
fn decoy() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    thread::spawn(move || {
        for _ in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, hits)
}

fn config(addr: SocketAddr) -> Config {
    Config::builder(
        format!("http://{addr}/v1/rest"),
        common::WORKSPACE,
        common::KEY_ID,
        ApiKeySecret::new(common::SECRET),
    )
    .tune(|p| {
        p.request_timeout = Duration::from_millis(1500);
        p.backoff_base = Duration::from_millis(50);
        p.backoff_cap = Duration::from_millis(300);
        p.retry_after_cap = Duration::from_millis(300);
    })
    .build()
    .expect("valid")
}

const WAIT: Duration = Duration::from_millis(2500);

fn verdict(name: &str, expect: Expect, outcome: Result<String, TokenError>) -> Option<String> {
    let matches = match (&outcome, expect) {
        (Ok(token), Expect::Token) => token == "hostile.jwt.ok" || token == "a.b.c",
        (Err(TokenError::Failed(error)), Expect::Terminal(class)) => error.class() == class,
        (
            Err(TokenError::TimedOut {
                last_error: Some(error),
                ..
            }),
            expect,
        ) => matches!(
            (error, expect),
            (AuthError::InvalidResponse(_), Expect::Invalid)
                | (
                    AuthError::Transport(_) | AuthError::Timeout,
                    Expect::Transport | Expect::Broken
                )
                | (AuthError::InvalidResponse(_), Expect::Broken)
                | (
                    AuthError::Server { .. } | AuthError::UnexpectedStatus { .. },
                    Expect::Status
                )
                | (AuthError::RateLimited { .. }, Expect::RateLimited)
        ),
        _ => false,
    };
    (!matches).then(|| format!("{name}: expected {expect:?}, got {outcome:?}"))
}

fn check_all(adapter: &str, failures: Vec<Option<String>>, decoy_hits: &AtomicUsize) {
    let failures: Vec<String> = failures.into_iter().flatten().collect();
    assert!(failures.is_empty(), "{adapter}:\n{}", failures.join("\n"));
    assert_eq!(
        decoy_hits.load(Ordering::SeqCst),
        0,
        "{adapter} followed a redirect"
    );
}

#[test]
fn at_least_forty_hostile_answers() {
    assert!(cases(1).len() >= 40, "{}", cases(1).len());
}

#[test]
fn hostile_answers_through_the_tokio_adapter() {
    let (port, hits) = decoy();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let failures = runtime.block_on(async {
        let mut tasks = Vec::new();
        for case in cases(port) {
            let addr = hostile_server(case.behaviour.clone());
            tasks.push(tokio::spawn(async move {
                let manager = revault_auth_tokio::TokenManager::new(config(addr))
                    .expect("manager")
                    .wait_timeout(WAIT);
                let outcome = manager
                    .token()
                    .await
                    .map(|t| t.secret().expose_secret().to_owned());
                manager.shutdown().await;
                verdict(case.name, case.expect, outcome)
            }));
        }
        let mut failures = Vec::new();
        for task in tasks {
            failures.push(task.await.expect("no panic"));
        }
        failures
    });
    check_all("tokio", failures, &hits);
}

#[test]
fn hostile_answers_through_the_ureq_adapter() {
    let (port, hits) = decoy();
    let handles: Vec<_> = cases(port)
        .into_iter()
        .map(|case| {
            let addr = hostile_server(case.behaviour.clone());
            thread::spawn(move || {
                let manager = revault_auth_ureq::BlockingTokenManager::new(config(addr))
                    .expect("manager")
                    .wait_timeout(WAIT);
                let outcome = manager
                    .token()
                    .map(|t| t.secret().expose_secret().to_owned());
                verdict(case.name, case.expect, outcome)
            })
        })
        .collect();
    let failures = handles
        .into_iter()
        .map(|h| h.join().expect("no panic"))
        .collect();
    check_all("ureq", failures, &hits);
}

#[test]
fn hostile_answers_through_the_async_std_adapter() {
    let (port, hits) = decoy();
    let failures = async_std::task::block_on(async {
        let mut tasks = Vec::new();
        for case in cases(port) {
            let addr = hostile_server(case.behaviour.clone());
            tasks.push(async_std::task::spawn(async move {
                let manager = revault_auth_async_std::TokenManager::new(config(addr))
                    .expect("manager")
                    .wait_timeout(WAIT);
                let outcome = manager
                    .token()
                    .await
                    .map(|t| t.secret().expose_secret().to_owned());
                manager.shutdown().await;
                verdict(case.name, case.expect, outcome)
            }));
        }
        let mut failures = Vec::new();
        for task in tasks {
            failures.push(task.await);
        }
        failures
    });
    check_all("async-std", failures, &hits);
}
