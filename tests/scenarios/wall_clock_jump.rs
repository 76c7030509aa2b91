//! A suspend (the wall clock jumps ahead of the monotonic one) with a token
//! cached: within a heartbeat the manager compares the clocks, drops the
//! token whose real life ran out during the sleep, and the emulator sees a
//! new token request. Cached reads do not read the wall clock each time.

use std::time::{Duration, Instant};

use crate::kit::{JumpClock, auth_requests, config, server, sleep};
use crate::manager::{Manager, Options};

async fn a_wall_clock_jump_replaces_the_cached_token_within_a_heartbeat<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let clock = JumpClock::default();
    let manager = M::build(config(&server), Options::wall(clock.wall()));
    let first = manager.token().await.expect("token");
    assert_eq!(auth_requests(&server), 1);

    clock.jump(Duration::from_secs(3600));
    let deadline = Instant::now() + Duration::from_secs(10);
    while manager
        .current()
        .await
        .is_some_and(|token| token.generation() == first.generation())
    {
        assert!(Instant::now() < deadline, "the token outlived the suspend");
        sleep(Duration::from_millis(10)).await;
    }
    let second = manager.token().await.expect("a new token");
    assert_ne!(second.generation(), first.generation());
    assert_eq!(
        auth_requests(&server),
        2,
        "the emulator saw a new token request"
    );
    manager.shutdown().await;
}

async fn cached_reads_do_not_read_the_wall_clock_each_time<M: Manager>() {
    let server = server(Duration::from_secs(600), Duration::from_secs(1200));
    let clock = JumpClock::default();
    let manager = M::build(config(&server), Options::wall(clock.wall()));
    let first = manager.token().await.expect("token");
    let started = Instant::now();
    let before = clock.reads();
    let mut reads = 0_u64;
    while started.elapsed() < Duration::from_millis(300) {
        let token = manager.token().await.expect("token");
        assert_eq!(token.generation(), first.generation());
        reads += 1;
    }
    let wall_reads = clock.reads() - before;
    // At most one comparison per heartbeat (1 s) in the 300 ms, plus one at
    // the edge.
    assert!(
        wall_reads <= 2,
        "{wall_reads} wall-clock reads for {reads} calls"
    );
    assert!(reads > 100, "only {reads} reads in 300 ms");
    manager.shutdown().await;
}

every_manager!(
    a_wall_clock_jump_replaces_the_cached_token_within_a_heartbeat,
    cached_reads_do_not_read_the_wall_clock_each_time,
);
