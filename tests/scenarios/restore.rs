//! Tokens exported by one manager and restored into another are served at
//! once: the emulator sees no new request, and accepts the token.

use std::time::Duration;

use crate::kit::{accepted, auth_requests, config, server};
use crate::manager::Manager;

async fn restored_tokens_are_served_without_a_request<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let first = M::new(config(&server));
    let token = first.token().await.expect("token");
    let saved = first.export().await.expect("a snapshot");
    first.shutdown().await;
    assert_eq!(auth_requests(&server), 1);

    let second = M::new(config(&server));
    assert!(second.restore(saved).await, "installed");
    let restored = second.try_token().expect("served at once");
    assert_eq!(
        restored.secret().expose_secret(),
        token.secret().expose_secret()
    );
    assert!(accepted(&server, &restored));
    assert_eq!(auth_requests(&server), 1, "no request for a restored token");
    second.shutdown().await;
}

every_manager!(restored_tokens_are_served_without_a_request);
