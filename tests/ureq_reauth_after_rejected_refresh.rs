//! A rejected refresh token leads to one re-authentication with the API
//! key, while the current token keeps being served.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_core::ReauthReason;
use revault_auth_mock::MockServer;
use revault_auth_ureq::{BlockingTokenManager, Event};

#[test]
fn rejected_refresh_reauthenticates_once() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(1), Duration::from_secs(60)))
            .expect("emulator");
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let manager = BlockingTokenManager::builder(config_for(&server).build().expect("config"))
        .on_event(move |event| sink.lock().expect("events").push(event.clone()))
        .build();
    let first = manager.token().expect("first").into_owned();
    server.revoke_refresh_tokens();

    thread::sleep(first.refresh_at().saturating_duration_since(Instant::now()));
    let second = loop {
        let token = manager.token().expect("a valid token throughout");
        if token.generation() != first.generation() {
            break token.into_owned();
        }
        assert!(
            Instant::now() < first.usable_until(),
            "the old token was still valid"
        );
        drop(token);
        thread::sleep(Duration::from_millis(5));
    };

    assert_eq!(second.generation().get(), 2);
    assert!(server.claims(second.secret().expose_secret()).is_some());
    assert_eq!(server.refresh_requests(), 1, "the rejected refresh");
    assert_eq!(
        server.token_requests(),
        2,
        "first authentication, then one more"
    );
    let events = events.lock().expect("events");
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Reauthenticated {
                reason: ReauthReason::RefreshRejected,
                ..
            }
        )),
        "{events:?}"
    );
}
