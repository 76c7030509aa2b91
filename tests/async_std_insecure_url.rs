//! Plain http:// to a host that is not loopback is refused before any
//! traffic: by the configuration, and again by the transport itself.

mod common;

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{KEY_ID, SECRET, WORKSPACE};
use revault_auth_async_std::UreqTransport;
use revault_auth_core::http::{Method, Request};
use revault_auth_core::{
    ApiKeySecret, AsyncTransport, Config, ConfigError, Limits, TokenError, TransportErrorKind,
};

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
        matches!(refused, Err(ConfigError::InsecureUrl { .. })),
        "{refused:?}"
    );
    let error = TokenError::from(refused.expect_err("refused"));
    assert!(error.to_string().contains("use https://"), "{error}");
    assert!(!error.to_string().contains(SECRET));

    // The transport refuses it too, should a request for it ever be built.
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{url}/auth/token"))
        .body(br#"{"apiKeySecret":"x"}"#.to_vec())
        .expect("request");
    let limits = Limits {
        timeout: Duration::from_secs(2),
        max_body: 64 * 1024,
    };
    let started = Instant::now();
    let answer = async_std::task::block_on(UreqTransport::new().send(request, limits));
    assert_eq!(answer.err(), Some(TransportErrorKind::Other));
    assert!(started.elapsed() < Duration::from_millis(200));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection was made"
    );
}
