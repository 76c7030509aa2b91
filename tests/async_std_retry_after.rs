//! A 429 with `Retry-After: 1` holds the next request back for a second;
//! callers whose wait is shorter time out with the rate limit as the cause.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_core::{AuthError, TokenError};
use revault_auth_mock::{Fault, MockServer, Target};

#[test]
fn retry_after_is_honoured() {
    async_std::task::block_on(async {
        let server = MockServer::start_background(mock_config(
            Duration::from_secs(300),
            Duration::from_secs(1800),
        ))
        .expect("emulator");
        server.push_fault(Target::Token, Fault::rate_limited(1));
        let manager = TokenManager::new(config_for(&server).build().expect("config"))
            .expect("manager")
            .wait_timeout(Duration::from_millis(300));
        let mut events = manager.subscribe();

        let started = Instant::now();
        let mut timeouts = 0;
        let token = loop {
            match manager.token_owned().await {
                Ok(token) => break token,
                Err(TokenError::TimedOut { last_error, .. }) => {
                    assert_eq!(last_error, Some(AuthError::RateLimited { status: 429 }));
                    assert_eq!(
                        server.token_requests(),
                        1,
                        "nothing sent before Retry-After"
                    );
                    timeouts += 1;
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(token.generation().get(), 1);
        assert!(timeouts >= 2, "{timeouts}");
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(server.token_requests(), 2);
        let log = server.log();
        assert!(
            log[1].at - log[0].at >= Duration::from_millis(995),
            "{log:?}"
        );
        let mut limited = false;
        while let Ok(event) = events.try_recv() {
            limited |= matches!(
                event,
                Event::RateLimited { status: 429, delay } if delay == Duration::from_secs(1)
            );
        }
        assert!(limited);
        manager.shutdown().await;
    });
}
