//! Plain http:// to a host that is not loopback is refused before any
//! traffic: by the configuration (a clear `TokenError::Config`, no secret),
//! through every manager's `from_env`, and by the blocking transport should
//! such a request ever be built.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use revault_auth::core::http::{Method, Request};
use revault_auth::{
    ApiKeySecret, AsyncTransport, BlockingTransport, Config, ConfigError, ENV_API_KEY_ID,
    ENV_API_KEY_SECRET, ENV_API_URL, ENV_WORKSPACE, Limits, TokenError, TransportErrorKind,
};

use crate::kit::{KEY_ID, SECRET, WORKSPACE};
use crate::manager::{AsyncStd, Manager, Smol, Tokio, Ureq};

const CHILD: &str = "REVAULT_AUTH_SCENARIO_CHILD";

/// This machine's outbound, non-loopback address, if it has one (finding
/// it sends nothing: a UDP `connect` only picks a route).
fn outbound_ip() -> Option<std::net::IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// A listener on every interface counting connections.
fn listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = (&stream).read(&mut [0u8; 1024]);
        }
    });
    (port, count)
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_traffic() {
    let (port, connections) = listener();
    let host = outbound_ip().map_or_else(|| "revault.example.com".to_owned(), |ip| ip.to_string());
    let url = format!("http://{host}:{port}/v1/rest");

    let refused = Config::builder(&url, WORKSPACE, KEY_ID, ApiKeySecret::new(SECRET)).build();
    assert!(
        matches!(&refused, Err(ConfigError::InsecureUrl { host: named }) if *named == host),
        "{refused:?}"
    );
    let error = TokenError::from(refused.expect_err("refused"));
    assert!(error.to_string().contains("use https://"), "{error}");
    assert!(!error.to_string().contains(SECRET));

    // The ureq transports refuse it too, should a request for it ever be built.
    let request = || {
        Request::builder()
            .method(Method::POST)
            .uri(format!("{url}/auth/token"))
            .body(br#"{"apiKeySecret":"x"}"#.to_vec())
            .expect("request")
    };
    let limits = Limits {
        timeout: Duration::from_secs(2),
        max_body: 64 * 1024,
    };
    let blocking = revault_auth::ureq::UreqTransport::new().send(request(), limits);
    assert_eq!(
        blocking.err().map(|e| e.kind),
        Some(TransportErrorKind::Other)
    );
    let transport = revault_auth::async_std::UreqTransport::new();
    let sent = smol::block_on(transport.send(request(), limits));
    assert_eq!(sent.err().map(|e| e.kind), Some(TransportErrorKind::Other));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection was made"
    );
}

/// Runs every manager's `from_env` in a child process (changing this
/// process's environment would race with other tests), pointed at a
/// non-loopback plain-http URL.
#[test]
fn from_env_refuses_plain_http() {
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "insecure_url::from_env_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(ENV_API_URL, "http://revault.example.com/v1/rest")
        .env(ENV_WORKSPACE, "ws")
        .env(ENV_API_KEY_ID, "key-id")
        .env(ENV_API_KEY_SECRET, SECRET)
        .output()
        .expect("child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(stdout.contains("refused 4 times"), "{stdout}");
    assert!(!stdout.contains(SECRET), "{stdout}");
}

fn refused<M: Manager>() -> String {
    let error = M::run(async { M::from_env() }).expect_err("refused before any traffic");
    assert!(
        matches!(
            &error,
            TokenError::Config(ConfigError::InsecureUrl { host }) if host == "revault.example.com"
        ),
        "{error:?}"
    );
    error.to_string()
}

#[test]
fn from_env_child() {
    if std::env::var_os(CHILD).is_none() {
        return; // only meaningful in the child process
    }
    let errors = [
        refused::<Tokio>(),
        refused::<AsyncStd>(),
        refused::<Smol>(),
        refused::<Ureq>(),
    ];
    println!("refused {} times: {}", errors.len(), errors.join("; "));
}
