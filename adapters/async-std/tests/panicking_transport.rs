//! A transport that panics, when called or when polled, costs one failed
//! request: the driver thread lives on, retries, and the caller gets a
//! token from the emulator.

mod common;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use common::{Panicky, auth_requests, config, server};
use revault_auth_async_std::{TokenManager, UreqTransport};

fn survives(when_polled: bool) {
    smol::block_on(async {
        let server = server(Duration::from_secs(60), Duration::from_secs(600));
        let transport = Panicky {
            inner: UreqTransport::new(),
            panics: AtomicU64::new(2),
            when_polled,
        };
        let manager = TokenManager::with_transport(config(&server), transport).expect("driver");
        let token = manager
            .token_owned()
            .await
            .expect("a token after the panics");
        assert_eq!(token.generation().get(), 1);
        assert_eq!(
            auth_requests(&server),
            1,
            "the panicked sends never reached it"
        );
        manager.force_refresh();
        let next = manager.token_owned().await.expect("the driver is alive");
        assert_eq!(next.generation().get(), 2);
    });
}

#[test]
fn a_transport_panicking_when_called_does_not_kill_the_driver() {
    survives(false);
}

#[test]
fn a_transport_panicking_when_polled_does_not_kill_the_driver() {
    survives(true);
}
