//! Each background refresh sends the refresh token of the previous answer:
//! the emulator rotates them and rejects any reuse, so three refreshes in a
//! row all succeeding, with no re-authentication, proves rotation.

mod common;

use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_mock::{Endpoint, MockServer};

#[test]
fn refresh_tokens_are_rotated_and_each_used_once() {
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
        let mut seen = Vec::new();
        let mut secrets = vec![first.secret().expose_secret().to_owned()];
        while seen
            .iter()
            .filter(|e| matches!(e, Event::Refreshed { .. }))
            .count()
            < 3
        {
            let event = async_std::future::timeout(Duration::from_secs(3), events.recv())
                .await
                .expect("an event in time")
                .expect("driver alive");
            if matches!(event, Event::Refreshed { .. }) {
                let token = manager.token_owned().await.expect("token");
                secrets.push(token.secret().expose_secret().to_owned());
            }
            seen.push(event);
        }

        assert_eq!(server.token_requests(), 1);
        assert_eq!(server.refresh_requests(), 3);
        let refreshes: Vec<_> = server
            .log()
            .into_iter()
            .filter(|entry| entry.endpoint == Endpoint::Refresh)
            .map(|entry| entry.status)
            .collect();
        assert_eq!(refreshes, vec![Some(200); 3]);
        secrets.dedup();
        assert_eq!(secrets.len(), 4, "a new access token each time");
        assert!(
            !seen
                .iter()
                .any(|e| matches!(e, Event::Reauthenticated { .. }))
        );
        manager.shutdown().await;
    });
}
