//! A send that panics is a failed request for the core, at once (not after
//! its request deadline), and the manager goes on: the next attempt reaches
//! the emulator and the caller gets a token.

mod common;

use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use common::{Panicky, auth_requests, config, server};
use revault_auth_tokio::{ReqwestTransport, TokenManager};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_send_is_retried_and_the_manager_goes_on() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let transport = Panicky {
        inner: ReqwestTransport::new().expect("client"),
        panics: AtomicU64::new(1),
    };
    let manager = TokenManager::with_transport(config(&server), transport).expect("runtime");
    let started = Instant::now();
    let token = manager
        .token_owned()
        .await
        .expect("a token after the panic");
    assert_eq!(token.generation().get(), 1);
    assert_eq!(
        auth_requests(&server),
        1,
        "the panicked send never reached it"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "retried on the backoff, not after the 2 s request deadline"
    );
}
