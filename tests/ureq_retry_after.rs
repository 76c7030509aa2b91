//! A 429 with `Retry-After: 1` holds the next request back for a second;
//! callers whose wait is shorter time out with the rate limit as the cause.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_core::{AuthError, TokenError};
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_ureq::{BlockingTokenManager, Event};

#[test]
fn retry_after_is_honoured() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    server.push_fault(Target::Token, Fault::rate_limited(1));
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let manager = BlockingTokenManager::builder(config_for(&server).build().expect("config"))
        .on_event(move |event| sink.lock().expect("events").push(event.clone()))
        .wait_timeout(Duration::from_millis(300))
        .build();

    let started = Instant::now();
    let mut timeouts = 0;
    let token = loop {
        match manager.token() {
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
    let events = events.lock().expect("events");
    assert!(
        events.iter().any(|event| matches!(
            event,
            Event::RateLimited { status: 429, delay } if *delay == Duration::from_secs(1)
        )),
        "{events:?}"
    );
}
