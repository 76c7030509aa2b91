//! Rejected credentials fail promptly and for good: one request, then
//! `TokenError::Failed` for every caller, one `Failed` event, and no secret
//! in the error, the manager's `Debug` or the events.

use std::time::{Duration, Instant};

use revault_auth::{ApiKeySecret, AuthError, Event, TokenError};

use crate::kit::{SECRET, config_for, drain, server, sleep};
use crate::manager::Manager;

async fn rejected_credentials_fail_after_one_request<M: Manager>() {
    let server = server(Duration::from_secs(300), Duration::from_secs(1800));
    let wrong = "wrong-api-key-secret-55aa";
    let config = config_for(&server).api_key_secret(ApiKeySecret::new(wrong));
    let manager = M::new(config.build().expect("config"));
    let mut events = manager.subscribe();

    let started = Instant::now();
    let error = manager.token().await.expect_err("rejected");
    assert!(started.elapsed() < Duration::from_secs(5), "at once");
    assert!(
        matches!(
            &error,
            TokenError::Failed(AuthError::CredentialsRejected { status: 401, .. })
        ),
        "{error:?}"
    );
    sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        assert_eq!(manager.token().await.expect_err("still rejected"), error);
    }
    assert!(manager.try_token().is_none());
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.log().len(), 1, "nothing else was sent");

    let seen = drain(&mut events);
    let shown = format!("{error} {error:?} {manager:?} {seen:?}");
    assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
    let failed = seen
        .iter()
        .filter(|event| matches!(event, Event::Failed { .. }))
        .count();
    assert_eq!(failed, 1, "{seen:?}");
    manager.shutdown().await;
}

every_manager!(rejected_credentials_fail_after_one_request);
