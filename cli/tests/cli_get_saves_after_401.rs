//! `get --cache F` whose cached token the server revoked: the 401 makes it
//! refresh (under the cache's update lock) and retry, and the new pair is
//! saved, so the next `get --cache F` uses it with no token request, and
//! never sends the revoked token or the spent refresh token again.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, run};
use common::mock_config;
use revault_auth_mock::{Endpoint, MockServer};

#[test]
fn cli_get_saves_after_401() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(600),
    ))
    .expect("emulator");
    let dir = tempfile::tempdir().expect("a private directory");
    let cache = dir.path().join("tokens.json");
    let cache = cache.to_str().expect("a UTF-8 path");
    let get = || {
        let run = run(
            against(&server, &["get", "--cache", cache, "/accounts"]),
            Duration::from_secs(20),
        );
        assert_eq!(run.code(), Some(0), "{}", run.show());
    };

    get();
    assert_eq!(server.token_requests(), 1);
    server.revoke_all(); // access tokens only: the refresh token still works
    get();
    assert_eq!(
        server.protected_requests(),
        3,
        "200, then one 401 and its retry"
    );
    assert_eq!(
        server.refresh_requests(),
        1,
        "the new token came by refresh"
    );

    get();
    assert_eq!(
        server.protected_requests(),
        4,
        "the saved token is accepted"
    );
    assert_eq!(
        server.token_requests(),
        1,
        "no authentication after the first"
    );
    assert_eq!(server.refresh_requests(), 1, "the new token was saved");
    let refused = server
        .log()
        .iter()
        .filter(|logged| logged.endpoint == Endpoint::Refresh && logged.status != Some(200))
        .count();
    assert_eq!(refused, 0, "no spent refresh token sent");
}
