//! Each refresh sends the refresh token of the previous answer: the
//! emulator rotates them and rejects any reuse, so three refreshes in a row
//! all succeeding, with no re-authentication, proves rotation.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_mock::{Endpoint, MockServer};
use revault_auth_ureq::{BlockingTokenManager, Event};

#[test]
fn refresh_tokens_are_rotated_and_each_used_once() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(1), Duration::from_secs(60)))
            .expect("emulator");
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let manager = BlockingTokenManager::builder(config_for(&server).build().expect("config"))
        .on_event(move |event| sink.lock().expect("events").push(event.clone()))
        .build();

    let mut previous = manager.token().expect("first").into_owned();
    for round in 1..=3u64 {
        thread::sleep(
            previous
                .refresh_at()
                .saturating_duration_since(Instant::now()),
        );
        let next = manager.token().expect("refreshed").into_owned();
        assert_eq!(next.generation().get(), round + 1);
        assert_ne!(
            next.secret().expose_secret(),
            previous.secret().expose_secret()
        );
        previous = next;
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
    let events = events.lock().expect("events");
    let refreshed = events
        .iter()
        .filter(|e| matches!(e, Event::Refreshed { .. }))
        .count();
    assert_eq!(refreshed, 3, "{events:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Reauthenticated { .. })),
        "{events:?}"
    );
}
