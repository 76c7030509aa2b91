//! A suspend (the wall clock jumps ahead of the monotonic one) with a token
//! cached: the driver notices within a heartbeat, withdraws the token whose
//! real life ran out during the sleep, and the emulator sees a new token
//! request. No read on the fast path reads a clock.

mod common;

use std::time::Duration;

use common::{JumpClock, auth_requests, config, eventually, server};
use revault_auth_tokio::{ReqwestTransport, TokenManager};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wall_clock_jump_withdraws_the_cached_token_and_gets_a_new_one() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let clock = JumpClock::default();
    let manager = TokenManager::builder(config(&server), ReqwestTransport::new().expect("client"))
        .wall_clock(clock.wall())
        .build()
        .expect("runtime");
    let first = manager.token_owned().await.expect("token");
    assert_eq!(auth_requests(&server), 1);

    clock.jump(Duration::from_secs(3600));
    assert!(
        eventually(|| manager
            .try_token()
            .is_none_or(|t| t.generation() != first.generation()))
        .await,
        "the token that outlived the suspend is withdrawn"
    );
    let second = manager.token_owned().await.expect("a new token");
    assert_ne!(second.generation(), first.generation());
    assert!(
        auth_requests(&server) >= 2,
        "the emulator saw a new token request"
    );
}
