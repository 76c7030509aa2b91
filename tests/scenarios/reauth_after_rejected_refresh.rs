//! A rejected refresh token leads to one re-authentication with the API
//! key, while the current token keeps being served.

use std::time::{Duration, Instant};

use revault_auth::{Event, ReauthReason};

use crate::kit::{config, drain, server, sleep, sleep_until, statuses};
use crate::manager::Manager;

async fn rejected_refresh_reauthenticates_once<M: Manager>() {
    let server = server(Duration::from_secs(6), Duration::from_secs(60));
    let manager = M::new(config(&server));
    let mut events = manager.subscribe();
    let first = manager.token().await.expect("first");
    server.revoke_refresh_tokens();

    sleep_until(first.refresh_at()).await;
    let second = loop {
        let token = manager.current().await.expect("a valid token throughout");
        if token.generation() != first.generation() {
            break token;
        }
        assert!(
            Instant::now() < first.usable_until(),
            "no new token in time"
        );
        sleep(Duration::from_millis(5)).await;
    };

    assert_eq!(second.generation().get(), 2);
    assert!(server.claims(second.secret().expose_secret()).is_some());
    assert_eq!(statuses(&server), [Some(200), Some(401), Some(200)]);
    assert_eq!(server.refresh_requests(), 1, "the rejected refresh");
    assert_eq!(server.token_requests(), 2, "one more authentication");
    let reauthenticated = drain(&mut events).into_iter().any(|event| {
        matches!(
            event,
            Event::Reauthenticated {
                reason: ReauthReason::RefreshRejected,
                ..
            }
        )
    });
    assert!(reauthenticated);
    manager.shutdown().await;
}

every_manager!(rejected_refresh_reauthenticates_once);
