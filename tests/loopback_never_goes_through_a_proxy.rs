//! A credential never leaves this machine unencrypted, whatever the
//! environment says: with `HTTP_PROXY`, `http_proxy` and `ALL_PROXY` all
//! naming a proxy, a plain `http://` request to loopback goes straight to
//! its peer, and the proxy sees nothing. An `https://` request to another
//! host still goes through the proxy (it sees only a `CONNECT`).
//!
//! Proxy variables are process-wide, so each case runs in a child process
//! (this test binary run again, filtered to one case) that starts with them
//! set; the parent only reads what the child's proxy and server saw.
#[path = "support/capturing.rs"]
mod capturing;

use std::process::Command;
use std::time::Duration;

use capturing::capturing;
use revault_auth_core::http::{Method, Request};
use revault_auth_core::{AsyncTransport, BlockingTransport, Limits};

/// Set in the child to the proxy's address; its presence marks the child.
const CHILD: &str = "REVAULT_AUTH_TEST_PROXY_CHILD";
const SECRET: &str = "proxy-must-never-see-this-secret";

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
const BAD_GATEWAY: &str =
    "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

fn token_request(url: &str) -> Request<Vec<u8>> {
    Request::builder()
        .method(Method::POST)
        .uri(url)
        .header("content-type", "application/json")
        .body(format!(r#"{{"apiKeySecret":"{SECRET}"}}"#).into_bytes())
        .expect("request")
}

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(3),
        max_body: 4096,
    }
}

/// Runs `case` in a child process with every proxy variable naming a
/// capturing proxy; returns what the proxy saw.
fn in_child_behind_a_proxy(case: &str) -> String {
    let (proxy_port, proxy_saw) = capturing(BAD_GATEWAY);
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([case, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, &proxy)
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env("all_proxy", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("child runs");
    assert!(
        output.status.success(),
        "child {case} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::thread::sleep(Duration::from_millis(100));
    let seen = proxy_saw.lock().expect("log").clone();
    String::from_utf8_lossy(&seen).into_owned()
}

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// In the child: sends the token request to a loopback server with `send`,
/// and checks that the server, not the proxy, got it.
fn loopback_exchange(host: &str, send: impl FnOnce(Request<Vec<u8>>) -> bool) {
    let (port, server_saw) = capturing(OK);
    let url = format!("http://{host}:{port}/v1/rest/auth/token");
    let answered = send(token_request(&url));
    std::thread::sleep(Duration::from_millis(100));
    let seen = String::from_utf8_lossy(&server_saw.lock().expect("log")).into_owned();
    assert!(answered, "the loopback server answers directly");
    assert!(seen.contains(SECRET), "the server got the request: {seen}");
}

fn reqwest_send(request: Request<Vec<u8>>) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let transport = revault_auth::tokio::ReqwestTransport::new().expect("client");
    runtime
        .block_on(AsyncTransport::send(&transport, request, limits()))
        .is_ok_and(|response| response.status() == 200)
}

fn ureq_send(request: Request<Vec<u8>>) -> bool {
    let transport = revault_auth_ureq::UreqTransport::new();
    BlockingTransport::send(&transport, request, limits())
        .is_ok_and(|response| response.status() == 200)
}

#[test]
fn reqwest_sends_plain_http_to_loopback_past_the_proxy() {
    if is_child() {
        loopback_exchange("127.0.0.1", reqwest_send);
        loopback_exchange("localhost", reqwest_send);
        return;
    }
    let proxy_saw = in_child_behind_a_proxy("reqwest_sends_plain_http_to_loopback_past_the_proxy");
    assert!(proxy_saw.is_empty(), "the proxy saw: {proxy_saw}");
}

#[test]
fn ureq_sends_plain_http_to_loopback_past_the_proxy() {
    if is_child() {
        loopback_exchange("127.0.0.1", ureq_send);
        loopback_exchange("localhost", ureq_send);
        return;
    }
    let proxy_saw = in_child_behind_a_proxy("ureq_sends_plain_http_to_loopback_past_the_proxy");
    assert!(proxy_saw.is_empty(), "the proxy saw: {proxy_saw}");
}

#[test]
fn reqwest_still_uses_the_proxy_for_https_elsewhere() {
    if is_child() {
        let request = token_request("https://revault.example.com/v1/rest/auth/token");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let transport = revault_auth::tokio::ReqwestTransport::new().expect("client");
        // The capturing proxy refuses the tunnel: the exchange fails.
        let _ = runtime.block_on(AsyncTransport::send(&transport, request, limits()));
        return;
    }
    let proxy_saw = in_child_behind_a_proxy("reqwest_still_uses_the_proxy_for_https_elsewhere");
    assert!(
        proxy_saw.starts_with("CONNECT revault.example.com:443"),
        "the proxy saw: {proxy_saw}"
    );
    assert!(!proxy_saw.contains(SECRET), "{proxy_saw}");
}

#[test]
fn ureq_still_uses_the_proxy_for_https_elsewhere() {
    if is_child() {
        let request = token_request("https://revault.example.com/v1/rest/auth/token");
        let _ =
            BlockingTransport::send(&revault_auth_ureq::UreqTransport::new(), request, limits());
        return;
    }
    let proxy_saw = in_child_behind_a_proxy("ureq_still_uses_the_proxy_for_https_elsewhere");
    assert!(
        proxy_saw.starts_with("CONNECT revault.example.com:443"),
        "the proxy saw: {proxy_saw}"
    );
    assert!(!proxy_saw.contains(SECRET), "{proxy_saw}");
}
