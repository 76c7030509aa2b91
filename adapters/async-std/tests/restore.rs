//! Tokens exported by one manager and restored into another are served at
//! once: the emulator sees no new token request, and accepts the token.

mod common;

use std::time::Duration;

use common::{accepted, auth_requests, config, server};
use revault_auth_async_std::TokenManager;

#[test]
fn restored_tokens_are_served_without_a_request() {
    smol::block_on(async {
        let server = server(Duration::from_secs(60), Duration::from_secs(600));
        let first = TokenManager::new(config(&server)).expect("driver");
        let token = first.token_owned().await.expect("token");
        let saved = first.export().await.expect("a snapshot");
        first.shutdown().await;

        let second = TokenManager::new(config(&server)).expect("driver");
        assert!(second.restore(saved).await, "installed");
        let restored = second.try_token().expect("served at once");
        assert_eq!(
            restored.secret().expose_secret(),
            token.secret().expose_secret()
        );
        assert!(accepted(&server, &restored));
        assert_eq!(auth_requests(&server), 1, "no request for a restored token");
    });
}
