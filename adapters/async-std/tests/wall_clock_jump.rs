//! A suspend (the wall clock jumps ahead of the monotonic one) with a token
//! cached: the driver notices within a heartbeat, withdraws the token whose
//! real life ran out during the sleep, and the emulator sees a new token
//! request. Reads never read a clock.

mod common;

use std::time::Duration;

use common::{JumpClock, auth_requests, config, eventually, server};
use revault_auth_async_std::{TokenManager, UreqTransport};
use revault_auth_mock::MockServer;

/// An emulator with these lifetimes (seconds) and a manager on a wall
/// clock the test can move.
fn with_jump_clock(access: u64, refresh: u64) -> (MockServer, JumpClock, TokenManager) {
    let server = server(Duration::from_secs(access), Duration::from_secs(refresh));
    let clock = JumpClock::default();
    let manager = TokenManager::builder(config(&server), UreqTransport::new())
        .wall_clock(clock.wall())
        .build()
        .expect("driver");
    (server, clock, manager)
}

#[test]
fn a_wall_clock_jump_withdraws_the_cached_token_and_gets_a_new_one() {
    smol::block_on(async {
        let (server, clock, manager) = with_jump_clock(60, 600);
        let first = manager.token_owned().await.expect("token");
        assert_eq!(auth_requests(&server), 1);

        clock.jump(Duration::from_secs(3600));
        let replaced = eventually(|| {
            manager
                .try_token()
                .is_none_or(|t| t.generation() != first.generation())
        });
        assert!(
            replaced.await,
            "the token that outlived the suspend is withdrawn"
        );
        let second = manager.token_owned().await.expect("a new token");
        assert_ne!(second.generation(), first.generation());
        assert!(
            auth_requests(&server) >= 2,
            "the emulator saw a new token request"
        );
    });
}

/// Issue 13: reads never read the wall clock; only the driver does, once per
/// heartbeat.
#[test]
fn cached_reads_do_not_read_the_wall_clock() {
    smol::block_on(async {
        let (_server, clock, manager) = with_jump_clock(600, 1200);
        let first = manager.token_owned().await.expect("token");
        let started = std::time::Instant::now();
        let before = clock.reads();
        let mut reads = 0_u64;
        while started.elapsed() < Duration::from_millis(300) {
            let token = manager.token().await.expect("token");
            assert_eq!(token.generation(), first.generation());
            reads += 1;
        }
        let wall_reads = clock.reads() - before;
        // The driver's own heartbeat (1 s) may fall in the 300 ms once, and
        // its last reading after the first token may land just inside.
        assert!(
            wall_reads <= 2,
            "{wall_reads} wall-clock reads for {reads} token() calls"
        );
        assert!(reads > 1_000, "only {reads} reads in 300 ms");
    });
}
