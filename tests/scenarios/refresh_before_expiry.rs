//! The token is refreshed before it expires, even while the refresh is
//! slow: callers are served at every moment, the new token arrives past the
//! refresh point and before the old one's floor, with one refresh request;
//! a driver does it with no caller asking (nothing is ever withdrawn).

use std::time::{Duration, Instant};

use revault_auth::Event;
use revault_auth_mock::{Fault, Target};

use crate::kit::{config, drain, server, sleep};
use crate::manager::Manager;

async fn refreshes_before_expiry_and_serves_throughout<M: Manager>() {
    let server = server(Duration::from_secs(8), Duration::from_secs(60));
    let manager = M::new(config(&server));
    let mut events = manager.subscribe();
    let first = manager.token().await.expect("first token");
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(150)));

    let mut samples = 0;
    let second = loop {
        let token = manager.current().await.expect("a token at every moment");
        samples += 1;
        if token.generation() != first.generation() {
            break token;
        }
        assert!(
            Instant::now() < first.usable_until(),
            "not refreshed in time"
        );
        sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(second.generation().get(), 2);
    assert!(
        Instant::now() >= first.refresh_at(),
        "not before the refresh point"
    );
    assert!(samples > 10, "{samples}");
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);
    let seen = drain(&mut events);
    assert!(
        seen.iter().any(|e| matches!(e, Event::Refreshed { .. })),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Expired { .. })),
        "{seen:?}"
    );
    manager.shutdown().await;
}

every_manager!(refreshes_before_expiry_and_serves_throughout);
