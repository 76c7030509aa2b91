//! A generation reported with `invalidate` is never served again, even when
//! a suspend right after the report moves the core's deadlines and the
//! token is republished: every token served from then on is accepted by the
//! emulator, which revoked the reported one.

use std::time::{Duration, Instant};

use crate::kit::{JumpClock, accepted, config, server, sleep};
use crate::manager::{Manager, Options};

async fn a_reported_generation_is_never_served_again_even_after_a_suspend<M: Manager>() {
    let server = server(Duration::from_secs(120), Duration::from_secs(600));
    let clock = JumpClock::default();
    let manager = M::build(config(&server), Options::wall(clock.wall()));
    let reported = manager.token().await.expect("token");
    server.revoke_access_token(reported.secret().expose_secret());

    assert!(manager.invalidate(&reported), "it was the one served");
    // A 20 s suspend: the token's deadlines move, it does not expire.
    clock.jump(Duration::from_secs(20));

    let until = Instant::now() + Duration::from_millis(2500);
    let mut served = 0;
    while Instant::now() < until {
        if let Some(token) = manager.current().await {
            assert_ne!(token.generation(), reported.generation(), "served again");
            assert!(accepted(&server, &token), "the emulator refused it");
            served += 1;
        }
        sleep(Duration::from_millis(10)).await;
    }
    assert!(served > 0, "a new token was served");
    manager.shutdown().await;
}

every_manager!(a_reported_generation_is_never_served_again_even_after_a_suspend);
