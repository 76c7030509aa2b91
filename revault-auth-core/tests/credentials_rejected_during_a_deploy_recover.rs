//! A gateway answers 401 and 403 for a minute during a deploy. The core
//! does not die with it: callers are told at once while it lasts, and the
//! slow retry brings a token back without a restart.

mod common;

use std::time::Duration;

use common::{config, epoch};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{Event, Phase};

#[test]
fn a_gateway_refusing_for_a_minute_does_not_kill_the_core() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Status(401));
    harness.start();
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.core.phase(), Phase::Failed);
    assert!(harness.core.failure().is_some());
    harness.advance(Duration::from_secs(300));
    assert!(harness.token().is_some(), "recovered on the slow schedule");
    assert_eq!(harness.core.failure(), None);
    assert_eq!(harness.sent.len(), 2);
    assert!(matches!(
        harness
            .event_list()
            .iter()
            .rev()
            .find(|e| !matches!(e, Event::RequestFinished { .. })),
        Some(Event::Authenticated { .. })
    ));
}
