//! While the server refuses the key, callers get `Failed` at once and
//! nothing is sent before the slow retry (`refused_retry_base`) is due; the
//! slow retries go on (by the driver, or by the first caller past the
//! deadline), and once the server accepts the key again the manager serves
//! a token without `update_api_key`.

use std::time::{Duration, Instant};

use revault_auth::TokenError;
use revault_auth_mock::{Fault, Target};

use crate::kit::{accepted, auth_requests, config_for, eventually, server, sleep, statuses};
use crate::manager::Manager;

const SLOW_RETRY: Duration = Duration::from_millis(500);

async fn a_key_refused_for_a_while_recovers_on_the_slow_schedule<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    server.set_persistent_fault(Target::Token, Some(Fault::unauthorized()));
    let config = config_for(&server).tune(|policy| {
        policy.refused_retry_base = SLOW_RETRY;
        policy.refused_retry_cap = SLOW_RETRY;
    });
    let manager = M::new(config.build().expect("config"));

    let started = Instant::now();
    let refused = manager.token().await;
    assert!(matches!(refused, Err(TokenError::Failed(_))), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "at once");
    let refused_at = Instant::now();
    assert!(matches!(manager.token().await, Err(TokenError::Failed(_))));
    if refused_at.elapsed() < SLOW_RETRY / 2 {
        assert_eq!(auth_requests(&server), 1, "nothing before the slow retry");
    }

    // Refused again on the slow schedule.
    let retried = eventually(|| auth_requests(&server) >= 2);
    if M::DRIVES_ITSELF {
        assert!(retried.await, "the driver retried with no caller asking");
    } else {
        // The slow retry is stretched by up to a fifth (jitter per manager).
        sleep(SLOW_RETRY * 6 / 5 + Duration::from_millis(50)).await;
        assert!(matches!(manager.token().await, Err(TokenError::Failed(_))));
        assert!(retried.await, "the caller past the deadline ran the retry");
    }
    server.set_persistent_fault(Target::Token, None);

    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        match manager.token().await {
            Ok(token) => break token,
            Err(TokenError::Failed(_)) if Instant::now() < deadline => {
                sleep(Duration::from_millis(50)).await;
            }
            Err(other) => panic!("not served again: {other:?}"),
        }
    };
    assert!(accepted(&server, &token));
    let statuses = statuses(&server);
    assert_eq!(statuses.first(), Some(&Some(401)), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&Some(200)), "{statuses:?}");
    assert!(manager.token().await.is_ok(), "the error is cleared");
    manager.shutdown().await;
}

every_manager!(a_key_refused_for_a_while_recovers_on_the_slow_schedule);
