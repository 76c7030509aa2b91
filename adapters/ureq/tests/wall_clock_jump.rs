//! A suspend (the wall clock jumps ahead of the monotonic one) with a token
//! cached: reads do not read the wall clock, but within a heartbeat (1 s of
//! running time) a caller compares the clocks, the token whose real life
//! ran out during the sleep is dropped, and the emulator sees a new token
//! request.

mod common;

use std::time::Duration;

use common::{JumpClock, auth_requests, config, server};
use revault_auth_mock::MockServer;
use revault_auth_ureq::BlockingTokenManager;

/// An emulator with these lifetimes (seconds) and a manager on a wall
/// clock the test can move.
fn with_jump_clock(access: u64, refresh: u64) -> (MockServer, JumpClock, BlockingTokenManager) {
    let server = server(Duration::from_secs(access), Duration::from_secs(refresh));
    let clock = JumpClock::default();
    let manager = BlockingTokenManager::builder(config(&server))
        .wall_clock(clock.wall())
        .build();
    (server, clock, manager)
}

#[test]
fn a_wall_clock_jump_drops_the_cached_token_within_a_heartbeat() {
    let (server, clock, manager) = with_jump_clock(60, 600);
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

/// Issue 13: cached reads compare the clocks at most once per heartbeat,
/// not on every call (they used to read the wall clock twice per read).
#[test]
fn cached_reads_do_not_read_the_wall_clock_each_time() {
    let (_server, clock, manager) = with_jump_clock(600, 1200);
    let first = manager.token_owned().expect("token");
    let started = std::time::Instant::now();
    let before = clock.reads();
    let mut reads = 0_u64;
    while started.elapsed() < Duration::from_millis(300) {
        let token = manager.token().expect("token");
        assert_eq!(token.generation(), first.generation());
        reads += 1;
    }
    let wall_reads = clock.reads() - before;
    // At most one comparison per heartbeat (1 s) of the 300 ms, plus one at
    // the edge.
    assert!(
        wall_reads <= 2,
        "{wall_reads} wall-clock reads for {reads} token() calls"
    );
    assert!(reads > 1_000, "only {reads} reads in 300 ms");
}
