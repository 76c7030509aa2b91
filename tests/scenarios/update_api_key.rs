//! A refused API key does not kill the manager: callers get `Failed` at
//! once, and `update_api_key` revives it; the emulator saw the refused key,
//! then the new one accepted.

use std::time::{Duration, Instant};

use revault_auth::{ApiKeySecret, TokenError};

use crate::kit::{KEY_ID, SECRET, accepted, config_for, server, statuses};
use crate::manager::Manager;

async fn a_refused_key_fails_at_once_and_a_new_key_revives_the_manager<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let wrong = config_for(&server).api_key_secret(ApiKeySecret::new("not-the-secret"));
    let manager = M::new(wrong.build().expect("config"));
    let started = Instant::now();
    let refused = manager.token().await;
    assert!(matches!(refused, Err(TokenError::Failed(_))), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "at once");
    assert!(matches!(manager.token().await, Err(TokenError::Failed(_))));

    manager
        .update_api_key(KEY_ID, ApiKeySecret::new(SECRET))
        .await
        .expect("a well-formed key");
    let token = manager.token().await.expect("a token from the new key");
    assert!(accepted(&server, &token));
    let statuses = statuses(&server);
    assert_eq!(statuses.first(), Some(&Some(401)), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&Some(200)), "{statuses:?}");
    manager.shutdown().await;
}

every_manager!(a_refused_key_fails_at_once_and_a_new_key_revives_the_manager);
