//! Issue 9, item 4, at the blocking manager: while the server refuses the
//! key, callers get `Failed` at once; the first caller past the slow
//! retry's deadline runs the exchange (rather than returning the old error
//! before driving), and once the server accepts the key again it gets a
//! token without `update_api_key`. Oracle: the emulator's request count and
//! log, and its verdict on the token served.

mod common;

use std::time::{Duration, Instant};

use common::{KEY_ID, SECRET, WORKSPACE, accepted, auth_requests, server};
use revault_auth_core::Config;
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_ureq::{ApiKeySecret, BlockingTokenManager, TokenError};

const SLOW_RETRY: Duration = Duration::from_millis(200);

/// The emulator's configuration with a slow retry short enough for a test.
fn slow_retry_config(server: &MockServer) -> Config {
    Config::builder(
        server.base_url(),
        WORKSPACE,
        KEY_ID,
        ApiKeySecret::new(SECRET),
    )
    .tune(|policy| {
        policy.backoff_base = Duration::from_millis(20);
        policy.backoff_cap = Duration::from_millis(200);
        policy.refused_retry_base = SLOW_RETRY;
        policy.refused_retry_cap = SLOW_RETRY;
    })
    .build()
    .expect("config")
}

#[test]
fn a_key_refused_for_a_while_recovers_on_the_slow_schedule() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    server.set_persistent_fault(Target::Token, Some(Fault::unauthorized()));
    let manager = BlockingTokenManager::new(slow_retry_config(&server)).expect("manager");

    let started = Instant::now();
    let refused = manager.token();
    assert!(matches!(refused, Err(TokenError::Failed(_))), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "at once");
    assert_eq!(auth_requests(&server), 1);
    // Before the slow retry is due: the error at once, nothing sent.
    assert!(matches!(manager.token(), Err(TokenError::Failed(_))));
    assert_eq!(auth_requests(&server), 1);

    // Past it: this caller drives the retry (refused again).
    std::thread::sleep(SLOW_RETRY + Duration::from_millis(50));
    assert!(matches!(manager.token(), Err(TokenError::Failed(_))));
    assert_eq!(auth_requests(&server), 2, "the caller ran the retry");

    server.set_persistent_fault(Target::Token, None);
    std::thread::sleep(SLOW_RETRY + Duration::from_millis(50));
    let token = manager
        .token_owned()
        .expect("served again without update_api_key");
    assert!(accepted(&server, &token));
    let statuses: Vec<_> = server.log().iter().map(|request| request.status).collect();
    assert_eq!(statuses, [Some(401), Some(401), Some(200)]);
    assert!(manager.token().is_ok(), "the error is cleared");
}
