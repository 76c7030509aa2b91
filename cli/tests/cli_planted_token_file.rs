//! Issue 12.6: a 0644 cache file written by another user, with a forged
//! token usable for 300 days, was printed as the token. Files not owned by
//! the user or open to group/others are refused (clear error, exit 2), and
//! stored lifetimes are bounded by what the server can issue.
//!
//! "Another user" is simulated by chown to uid 65534, which needs root;
//! not as root, that case is skipped (and says so on stderr).

mod cli_support;
mod common;
mod hostile;

use std::path::Path;
use std::time::{Duration, SystemTime};

use cli_support::{against, assert_no_traffic, error_line, looks_like_jwt, run};
use common::{KEY_ID, WORKSPACE, mock_config};
use hostile::arg;
use revault_auth_core::{AccessTokenSecret, SAVED_FORMAT, SavedTokens};
use revault_auth_mock::MockServer;
use revault_auth_store::{FileStore, SessionKey, TokenStore};

const FORGED: &str = "eyJhbGciOiJub25lIn0.eyJmb3JnZWQiOnRydWV9.Zm9yZ2VkLWJ5LWFub3RoZXItdXNlcg";

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator")
}

/// A well-formed cache for `server`'s session, its token usable 300 days.
fn forge(server: &MockServer, path: &Path) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    let in_300_days = now + 300 * 24 * 3600 * 1000;
    let tokens = SavedTokens {
        format: SAVED_FORMAT,
        version: 0,
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        access_token: AccessTokenSecret::new(FORGED),
        access_expires_at_unix_ms: in_300_days,
        access_usable_until_unix_ms: in_300_days,
        access_refresh_at_unix_ms: in_300_days,
        refresh_token: None,
        refresh_usable_until_unix_ms: 0,
        saved_at_unix_ms: now,
    };
    FileStore::new(path)
        .with_max_lifetime(Duration::from_secs(400 * 24 * 3600))
        .save(
            &SessionKey::new(server.base_url(), WORKSPACE, KEY_ID),
            &tokens,
            None,
        )
        .expect("forge");
}

#[test]
fn a_0644_cache_of_another_user_with_a_300_day_token_is_refused() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    forge(&server, &cache);
    hostile::set_mode(&cache, 0o644);
    if !hostile::give_to_another_user(&cache) {
        return;
    }
    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(refused.stdout.is_empty(), "{}", refused.show());
    let line = error_line(&refused);
    assert!(line.contains("owned by another user"), "{}", refused.show());
    assert!(!refused.stderr.contains(FORGED));
    assert_no_traffic(&server);
}

#[test]
fn a_cache_of_ours_open_to_others_is_refused() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    forge(&server, &cache);
    hostile::set_mode(&cache, 0o644);
    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(refused.stdout.is_empty(), "{}", refused.show());
    assert!(
        error_line(&refused).contains("open to group or others"),
        "{}",
        refused.show()
    );
    assert_no_traffic(&server);
}

#[test]
fn a_private_cache_with_a_300_day_token_is_ignored_and_replaced() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    forge(&server, &cache);
    let ran = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.show());
    let printed = ran.stdout.trim_end();
    assert_ne!(printed, FORGED, "the forged token was printed");
    assert!(looks_like_jwt(printed));
    // The oracle: the token came from the server, which knows it.
    assert!(server.claims(printed).is_some(), "not the server's token");
    assert_eq!(server.token_requests(), 1);
    assert!(
        ran.stderr.contains("warning: ignoring the token cache"),
        "{}",
        ran.show()
    );
    assert!(ran.stderr.contains("live longer"), "{}", ran.show());
}
