//! A transport that panics costs one failed request: the next caller
//! drives again and gets a token from the emulator.

mod common;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use common::{Panicky, auth_requests, config, server};
use revault_auth_ureq::{BlockingTokenManager, UreqTransport};

#[test]
fn a_panicking_transport_costs_one_failed_request() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let transport = Panicky {
        inner: UreqTransport::new(),
        panics: AtomicU64::new(1),
    };
    let manager =
        BlockingTokenManager::with_transport(config(&server), transport).expect("manager");
    let token = manager.token_owned().expect("a token after the panic");
    assert_eq!(token.generation().get(), 1);
    assert_eq!(
        auth_requests(&server),
        1,
        "the panicked send never reached it"
    );
}
