//! The first call authenticates with the API key, the token works against
//! revault-api, later calls reuse it, and nothing secret shows in `Debug`,
//! events or headers' `Debug`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{SECRET, config_for, mock_config};
use revault_auth_mock::MockServer;
use revault_auth_ureq::{BlockingTokenManager, Event};

#[test]
fn first_call_authenticates_and_later_calls_reuse_the_token() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let manager = BlockingTokenManager::builder(config_for(&server).build().expect("config"))
        .on_event(move |event| sink.lock().expect("events").push(event.clone()))
        .build();

    assert!(manager.try_token().is_none());
    assert_eq!(server.token_requests(), 0, "nothing is sent before demand");

    let token = manager.token().expect("a token");
    assert_eq!(token.generation().get(), 1);
    let jwt = token.secret().expose_secret().to_owned();
    assert!(server.claims(&jwt).is_some(), "the emulator issued it");

    let answer = ureq::get(server.url("/vaults"))
        .header("authorization", token.header_value().clone())
        .call()
        .expect("revault-api accepts the token");
    assert_eq!(answer.status(), 200);

    for _ in 0..100 {
        assert_eq!(manager.token().expect("cached").generation().get(), 1);
    }
    let header = manager.authorization().expect("header");
    assert_eq!(header.to_str().expect("ascii"), format!("Bearer {jwt}"));
    assert!(header.is_sensitive());
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);

    let events: Vec<Event> = (events.lock().expect("events").iter())
        .filter(|e| !matches!(e, Event::RequestFinished { .. }))
        .cloned()
        .collect();
    assert!(
        matches!(events.as_slice(), [Event::Authenticated { generation, .. }] if generation.get() == 1),
        "{events:?}"
    );
    let shown = format!("{manager:?} {token:?} {events:?} {header:?}");
    assert!(!shown.contains(&jwt), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}
