//! The first demand authenticates with the API key and nothing is sent
//! before it; the token opens a protected resource, later calls reuse it,
//! and no secret shows in `Debug`, events or the header's `Debug`.

use std::time::Duration;

use revault_auth::Event;
use revault_auth_mock::MockServer;

use crate::kit::{SECRET, accepted, config, drain, server, sleep};
use crate::manager::Manager;

async fn authenticates_on_first_demand<M: Manager>() {
    let server: MockServer = server(Duration::from_secs(300), Duration::from_secs(1800));
    let manager = M::new(config(&server));
    let mut events = manager.subscribe();

    sleep(Duration::from_millis(100)).await;
    assert!(manager.try_token().is_none());
    assert_eq!(server.token_requests(), 0, "nothing is sent before demand");

    let token = manager.token().await.expect("a token");
    assert_eq!(token.generation().get(), 1);
    let jwt = token.secret().expose_secret().to_owned();
    assert!(server.claims(&jwt).is_some(), "the emulator issued it");
    assert!(accepted(&server, &token), "revault-api accepts it");

    for _ in 0..100 {
        let cached = manager.token().await.expect("cached");
        assert_eq!(cached.generation().get(), 1);
    }
    let cached = manager.try_token().expect("served without waiting");
    assert_eq!(cached.generation(), token.generation());
    let header = manager.authorization().await.expect("header");
    assert_eq!(header.to_str().expect("ascii"), format!("Bearer {jwt}"));
    assert!(header.is_sensitive());
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);

    // A token is published before the events that announce it go out.
    let mut announced = Vec::new();
    for _ in 0..200 {
        announced.extend(drain(&mut events));
        if announced
            .iter()
            .any(|event| matches!(event, Event::Authenticated { .. }))
        {
            break;
        }
        sleep(Duration::from_millis(10)).await;
    }
    let (measured, seen): (Vec<Event>, Vec<Event>) = announced
        .into_iter()
        .partition(|event| matches!(event, Event::RequestFinished { .. }));
    assert!(
        matches!(
            measured.as_slice(),
            [Event::RequestFinished {
                status: Some(200),
                ..
            }]
        ),
        "{measured:?}"
    );
    assert!(
        matches!(seen.as_slice(), [Event::Authenticated { generation, .. }] if generation.get() == 1),
        "{seen:?}"
    );
    let shown = format!("{manager:?} {token:?} {cached:?} {seen:?} {header:?}");
    assert!(!shown.contains(&jwt), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    manager.shutdown().await;
}

every_manager!(authenticates_on_first_demand);
