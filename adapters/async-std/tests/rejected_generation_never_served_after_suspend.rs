//! A generation reported with `invalidate` is never served again, even when
//! a suspend right after the report moves the core's deadlines and the
//! driver republishes: every token served from then on is accepted by the
//! emulator, which revoked the reported one.

mod common;

use std::time::{Duration, Instant};

use common::{JumpClock, accepted, config, server};
use revault_auth_async_std::{TokenManager, UreqTransport};

#[test]
fn a_reported_generation_is_never_served_again_even_after_a_suspend() {
    smol::block_on(async {
        let server = server(Duration::from_secs(120), Duration::from_secs(600));
        let clock = JumpClock::default();
        let manager = TokenManager::builder(config(&server), UreqTransport::new())
            .wall_clock(clock.wall())
            .build()
            .expect("driver");
        let reported = manager.token_owned().await.expect("token");
        server.revoke_access_token(reported.secret().expose_secret());

        assert!(manager.invalidate(&reported), "it was the one served");
        clock.jump(Duration::from_secs(20));

        let until = Instant::now() + Duration::from_millis(2500);
        let mut served = 0;
        while Instant::now() < until {
            if let Some(token) = manager.try_token() {
                assert_ne!(token.generation(), reported.generation(), "served again");
                assert!(accepted(&server, &token), "the emulator refused it");
                served += 1;
            }
            async_io::Timer::after(Duration::from_millis(10)).await;
        }
        assert!(served > 0, "a new token was served");
    });
}
