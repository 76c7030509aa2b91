//! The first call authenticates with the API key, the token works against
//! revault-api, later calls reuse it, and nothing secret shows in `Debug`
//! or events. Run under async-std and under smol.

mod common;

use std::time::Duration;

use common::{SECRET, config_for, mock_config};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_mock::MockServer;

async fn scenario() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("manager");
    let mut events = manager.subscribe();

    assert!(manager.try_token().is_none());
    smol::Timer::after(Duration::from_millis(50)).await;
    assert_eq!(server.token_requests(), 0, "nothing is sent before demand");

    let token = manager.token_owned().await.expect("a token");
    assert_eq!(token.generation().get(), 1);
    let jwt = token.secret().expose_secret().to_owned();
    assert!(server.claims(&jwt).is_some(), "the emulator issued it");

    let answer = ureq::get(server.url("/vaults"))
        .header("authorization", token.header_value().clone())
        .call()
        .expect("revault-api accepts the token");
    assert_eq!(answer.status(), 200);

    for _ in 0..100 {
        assert_eq!(manager.token().await.expect("cached").generation().get(), 1);
    }
    let header = manager.authorization().await.expect("header");
    assert_eq!(header.to_str().expect("ascii"), format!("Bearer {jwt}"));
    assert!(header.is_sensitive());
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);

    let first = events.recv().await.expect("an event");
    assert!(
        matches!(first, Event::Authenticated { generation, .. } if generation.get() == 1),
        "{first:?}"
    );
    let measured = events.recv().await;
    assert!(
        matches!(
            measured,
            Ok(Event::RequestFinished {
                status: Some(200),
                ..
            })
        ),
        "{measured:?}"
    );
    assert!(events.try_recv().is_err(), "nothing else happened");
    let shown = format!("{manager:?} {token:?} {first:?} {header:?}");
    assert!(!shown.contains(&jwt), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");

    manager.shutdown().await;
    assert!(events.recv().await.is_err(), "the driver is gone");
}

#[test]
fn under_async_std() {
    async_std::task::block_on(scenario());
}

#[test]
fn under_smol() {
    smol::block_on(scenario());
}
