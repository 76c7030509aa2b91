//! Issue 9, item 4, at the manager: while the server refuses the key,
//! callers get `Failed` at once; the driver keeps waking for the slow retry
//! (`refused_retry_base`), and once the server accepts the key again the
//! manager serves a token without `update_api_key`. Oracle: the emulator's
//! log (refusals, then a 200) and its verdict on the token served.

mod common;

use std::time::{Duration, Instant};

use common::{KEY_ID, SECRET, WORKSPACE, server};
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_mock::MockServer;
use revault_auth_mock::{Fault, Target};
use revault_auth_tokio::{TokenError, TokenManager};

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
        policy.refused_retry_base = Duration::from_millis(200);
        policy.refused_retry_cap = Duration::from_millis(400);
    })
    .build()
    .expect("config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_refused_for_a_while_recovers_on_the_slow_schedule() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    server.set_persistent_fault(Target::Token, Some(Fault::unauthorized()));
    let manager = TokenManager::new(slow_retry_config(&server)).expect("runtime");

    let started = Instant::now();
    let refused = manager.token().await;
    assert!(matches!(refused, Err(TokenError::Failed(_))), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "at once");

    // Refused again on the slow schedule, with no caller asking.
    assert!(common::eventually(|| common::auth_requests(&server) >= 2).await);
    server.set_persistent_fault(Target::Token, None);

    let token = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match manager.token_owned().await {
                Ok(token) => return token,
                Err(TokenError::Failed(_)) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("served again without update_api_key");
    assert!(common::accepted(&server, &token).await);
    let statuses: Vec<_> = server.log().iter().map(|request| request.status).collect();
    assert_eq!(statuses.first(), Some(&Some(401)), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&Some(200)), "{statuses:?}");
    assert!(manager.token().await.is_ok(), "the error is cleared");
}
