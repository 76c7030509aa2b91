//! Issue 12.7: a cache made against server A was used against server B
//! (`--api-url` changed): B received A's bearer token without ever
//! authenticating. A session belongs to (API URL, workspace, API key id).

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against, looks_like_jwt, run};
use common::mock_config;
use hostile::arg;
use revault_auth_mock::MockServer;

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator")
}

fn token(server: &MockServer, cache: &std::path::Path) -> String {
    let ran = run(
        against(server, &["token", "--cache", arg(cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.show());
    let token = ran.stdout.trim_end().to_owned();
    assert!(looks_like_jwt(&token), "{}", ran.show());
    token
}

#[test]
fn token_against_server_b_never_prints_server_a_s_cached_token() {
    let (a, b) = (server(), server());
    let (_dir, cache) = hostile::private_cache();
    let from_a = token(&a, &cache);
    let from_b = token(&b, &cache);

    assert_ne!(from_a, from_b);
    // The oracle: B authenticated this client itself and issued its token.
    assert_eq!(b.token_requests(), 1);
    assert!(b.claims(&from_b).is_some(), "B did not issue it");
    assert!(b.claims(&from_a).is_none());
    // Both sessions stay in the cache: A's still serves A with no request.
    assert_eq!(token(&a, &cache), from_a);
    assert_eq!(a.token_requests(), 1);
    assert_eq!(token(&b, &cache), from_b);
    assert_eq!(b.token_requests(), 1);
}

#[test]
fn get_against_server_b_never_sends_server_a_s_cached_token() {
    let (a, b) = (server(), server());
    let (_dir, cache) = hostile::private_cache();
    token(&a, &cache);
    let ran = run(
        against(&b, &["get", "/accounts", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.show());
    // One protected request, with B's own token (A's would have been
    // refused with a 401 and retried: two).
    assert_eq!(b.protected_requests(), 1);
    assert_eq!(b.token_requests(), 1);
}
