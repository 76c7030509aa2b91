//! A 429 with `Retry-After: 1` holds the next request back for a second;
//! callers whose wait is shorter time out with the rate limit as the cause
//! and nothing is sent before the second is up.

use std::time::{Duration, Instant};

use revault_auth::{AuthError, Event, TokenError};
use revault_auth_mock::{Fault, Target};

use crate::kit::{config, drain, server, statuses};
use crate::manager::{Manager, Options};

async fn retry_after_is_honoured<M: Manager>() {
    let server = server(Duration::from_secs(300), Duration::from_secs(1800));
    server.push_fault(Target::Token, Fault::rate_limited(1));
    let manager = M::build(config(&server), Options::wait(Duration::from_millis(300)));
    let mut events = manager.subscribe();

    let started = Instant::now();
    let mut timeouts = 0;
    let token = loop {
        match manager.token().await {
            Ok(token) => break token,
            Err(TokenError::TimedOut { last_error, .. }) => {
                assert_eq!(last_error, Some(AuthError::RateLimited { status: 429 }));
                // Past Retry-After the retry may be on its way as a wait
                // times out; the log's gap below checks its timing.
                if started.elapsed() < Duration::from_secs(1) {
                    assert_eq!(server.token_requests(), 1, "nothing before Retry-After");
                }
                timeouts += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(token.generation().get(), 1);
    assert!(timeouts >= 2, "{timeouts}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(statuses(&server), [Some(429), Some(200)]);
    let log = server.log();
    let gap = log[1].at - log[0].at;
    assert!(
        gap >= Duration::from_millis(995),
        "second request after {gap:?}"
    );
    assert!(gap < Duration::from_secs(4), "second request after {gap:?}");
    let limited = drain(&mut events).into_iter().any(|event| {
        matches!(event, Event::RateLimited { status: 429, delay } if delay == Duration::from_secs(1))
    });
    assert!(limited);
    manager.shutdown().await;
}

every_manager!(retry_after_is_honoured);
