//! The driver refreshes in the background before expiry: no caller ever
//! finds the cache empty, even while the refresh is slow. Run under
//! async-std and under smol.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_async_std::TokenManager;
use revault_auth_mock::{Fault, MockServer, Target};

async fn scenario() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(3), Duration::from_secs(60)))
            .expect("emulator");
    let manager = TokenManager::new(config_for(&server).build().expect("config")).expect("manager");
    let first = manager.token_owned().await.expect("first token");
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(150)));

    let mut samples = 0;
    let second = loop {
        let token = manager
            .try_token()
            .expect("a token is served at every moment")
            .into_owned();
        samples += 1;
        if token.generation() != first.generation() {
            break token;
        }
        assert!(Instant::now() < first.usable_until());
        smol::Timer::after(Duration::from_millis(10)).await;
    };

    assert_eq!(second.generation().get(), 2);
    assert!(
        Instant::now() >= first.refresh_at(),
        "not before the refresh point"
    );
    assert!(samples > 50, "{samples}");
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);
    manager.shutdown().await;
}

#[test]
fn under_async_std() {
    async_std::task::block_on(scenario());
}

#[test]
fn under_smol() {
    smol::block_on(scenario());
}
