//! A refused API key does not kill the manager: callers get `Failed` at
//! once, and `update_api_key` revives it; the emulator saw the refused key,
//! then the new one accepted.

mod common;

use std::time::{Duration, Instant};

use common::{KEY_ID, SECRET, accepted, config_with, server};
use revault_auth_ureq::{ApiKeySecret, BlockingTokenManager, TokenError};

#[test]
fn a_refused_key_fails_at_once_and_a_new_key_revives_the_manager() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let manager =
        BlockingTokenManager::new(config_with(&server, "not-the-secret")).expect("manager");
    let started = Instant::now();
    let refused = manager.token();
    assert!(matches!(refused, Err(TokenError::Failed(_))), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "at once");

    manager
        .update_api_key(KEY_ID, ApiKeySecret::new(SECRET))
        .expect("a well-formed key");
    let token = manager.token_owned().expect("a token from the new key");
    assert!(accepted(&server, &token));
    let statuses: Vec<_> = server.log().iter().map(|request| request.status).collect();
    assert_eq!(statuses.first(), Some(&Some(401)), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&Some(200)), "{statuses:?}");
}
