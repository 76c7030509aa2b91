//! A suspend (the wall clock jumps ahead of the monotonic one) with a token
//! cached: reads do not read the wall clock, but within a heartbeat (1 s of
//! running time) a caller compares the clocks, the token whose real life
//! ran out during the sleep is dropped, and the emulator sees a new token
//! request.

mod common;

use std::time::Duration;

use common::{JumpClock, auth_requests, config, server};
use revault_auth_ureq::BlockingTokenManager;

#[test]
fn a_wall_clock_jump_drops_the_cached_token_within_a_heartbeat() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let clock = JumpClock::default();
    let manager = BlockingTokenManager::builder(config(&server))
        .wall_clock(clock.wall())
        .build();
    let first = manager.token_owned().expect("token");
    assert_eq!(auth_requests(&server), 1);

    clock.jump(Duration::from_secs(3600));
    std::thread::sleep(Duration::from_millis(1100));
    let second = manager.token_owned().expect("a new token");
    assert_ne!(second.generation(), first.generation());
    assert_eq!(
        auth_requests(&server),
        2,
        "the emulator saw a new token request"
    );
}
