//! Refresh tokens rotate: each refresh sends the refresh token of the
//! previous answer, and the emulator rejects any reuse, so three refreshes
//! in a row all answered 200, with no re-authentication, prove rotation.

use std::time::Duration;

use revault_auth::Event;
use revault_auth_mock::Endpoint;

use crate::kit::{config, server, sleep, within};
use crate::manager::Manager;

async fn refresh_tokens_are_rotated_and_each_used_once<M: Manager>() {
    let server = server(Duration::from_secs(1), Duration::from_secs(60));
    let manager = M::new(config(&server));
    let mut events = manager.subscribe();
    let first = manager.token().await.expect("first");
    let mut secrets = vec![first.secret().expose_secret().to_owned()];
    let mut seen = Vec::new();
    while secrets.len() < 4 {
        // A caller reading every 20 ms (a blocking manager refreshes on a
        // caller's call) while the subscriber waits for the next refresh.
        let reader = async {
            loop {
                let _ = manager.current().await;
                sleep(Duration::from_millis(20)).await;
            }
        };
        let event = within(
            Duration::from_secs(5),
            smol::future::or(reader, events.recv()),
        )
        .await
        .expect("an event in time")
        .expect("events flow");
        if matches!(event, Event::Refreshed { .. }) {
            let token = manager.token().await.expect("token");
            secrets.push(token.secret().expose_secret().to_owned());
        }
        seen.push(event);
    }

    assert_eq!(server.token_requests(), 1, "no re-authentication");
    assert_eq!(server.refresh_requests(), 3);
    let refreshes: Vec<_> = server
        .log()
        .into_iter()
        .filter(|entry| entry.endpoint == Endpoint::Refresh)
        .map(|entry| entry.status)
        .collect();
    // A refresh token sent twice would have been answered 401.
    assert_eq!(refreshes, vec![Some(200); 3]);
    secrets.dedup();
    assert_eq!(secrets.len(), 4, "a new access token each time");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::Reauthenticated { .. }))
    );
    manager.shutdown().await;
}

every_manager!(refresh_tokens_are_rotated_and_each_used_once);
