//! A generation reported with `invalidate` is never served again, even when
//! a suspend right after the report moves the core's deadlines and the
//! token is republished: every token served from then on is accepted by the
//! emulator, which revoked the reported one.

mod common;

use std::time::{Duration, Instant};

use common::{JumpClock, accepted, config, server};
use revault_auth_ureq::BlockingTokenManager;

#[test]
fn a_reported_generation_is_never_served_again_even_after_a_suspend() {
    let server = server(Duration::from_secs(120), Duration::from_secs(600));
    let clock = JumpClock::default();
    let manager = BlockingTokenManager::builder(config(&server))
        .wall_clock(clock.wall())
        .build();
    let reported = manager.token_owned().expect("token");
    server.revoke_access_token(reported.secret().expose_secret());

    assert!(manager.invalidate(&reported), "it was the one served");
    clock.jump(Duration::from_secs(20));

    let until = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < until {
        let token = manager.token().expect("token");
        assert_ne!(token.generation(), reported.generation(), "served again");
        assert!(accepted(&server, &token), "the emulator refused it");
        std::thread::sleep(Duration::from_millis(10));
    }
}
