//! `token --cache F` and `get --cache F` are one-shot runs: a token another
//! process saved, past its refresh point but still usable, is used as it
//! is. No refresh is sent (it would spend the shared refresh token for a
//! token the run never uses, and the exit could cut it off before the new
//! pair is saved).

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against, assert_clean, run, save_issued_pair};
use common::mock_config;
use hostile::arg;
use revault_auth_mock::MockServer;
use revault_auth_store::FileStore;

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(600),
    ))
    .expect("emulator")
}

#[test]
fn token_prints_a_cached_token_past_its_refresh_point_without_a_request() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    // Due for refresh from the moment it is saved; usable for 54 s.
    save_issued_pair(&server, &FileStore::new(&cache), None, 0.0);

    let ran = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );

    assert_eq!(ran.code(), Some(0), "{}", ran.show());
    let printed = ran.stdout.trim_end();
    assert!(server.claims(printed).is_some(), "{}", ran.show());
    assert!(server.log().is_empty(), "sent: {:?}", server.log());
    assert_clean("stderr", &ran.stderr, &[printed], &ran);
}

#[test]
fn get_uses_a_cached_token_past_its_refresh_point_without_a_token_request() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    save_issued_pair(&server, &FileStore::new(&cache), None, 0.0);

    let ran = run(
        against(&server, &["get", "/accounts", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );

    assert_eq!(ran.code(), Some(0), "{}", ran.show());
    assert_eq!(server.protected_requests(), 1);
    assert!(server.log().is_empty(), "sent: {:?}", server.log());
}
