//! A rejected refresh token leads to one re-authentication with the API
//! key, while the current token keeps being served.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_core::ReauthReason;
use revault_auth_mock::MockServer;

#[test]
fn rejected_refresh_reauthenticates_once() {
    async_std::task::block_on(async {
        let server = MockServer::start_background(mock_config(
            Duration::from_secs(1),
            Duration::from_secs(60),
        ))
        .expect("emulator");
        let manager =
            TokenManager::new(config_for(&server).build().expect("config")).expect("manager");
        let mut events = manager.subscribe();
        let first = manager.token_owned().await.expect("first");
        server.revoke_refresh_tokens();

        let second = loop {
            let token = manager
                .try_token()
                .expect("a valid token throughout")
                .into_owned();
            if token.generation() != first.generation() {
                break token;
            }
            assert!(Instant::now() < first.usable_until());
            async_std::task::sleep(Duration::from_millis(5)).await;
        };

        assert_eq!(second.generation().get(), 2);
        assert!(server.claims(second.secret().expose_secret()).is_some());
        assert_eq!(server.refresh_requests(), 1, "the rejected refresh");
        assert_eq!(
            server.token_requests(),
            2,
            "first authentication, then one more"
        );
        let mut reauthenticated = false;
        while let Ok(event) = events.try_recv() {
            reauthenticated |= matches!(
                event,
                Event::Reauthenticated {
                    reason: ReauthReason::RefreshRejected,
                    ..
                }
            );
        }
        assert!(reauthenticated);
        manager.shutdown().await;
    });
}
