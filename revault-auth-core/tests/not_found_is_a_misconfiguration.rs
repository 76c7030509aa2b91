//! Issue 9, defect 4: a 404 means the API URL is wrong. Callers get a
//! distinct misconfiguration error at once; the core retries slowly.

mod common;

use std::time::Duration;

use common::{config, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthError, ErrorClass, Event};

#[test]
fn a_404_is_a_misconfiguration_retried_slowly() {
    let mut harness = Harness::new(config(), epoch());
    for _ in 0..3 {
        harness.push(Reply::Raw(404, b"<html>Not Found</html>".to_vec()));
    }
    harness.start();
    harness.advance(Duration::from_millis(100));
    let error = harness
        .core
        .failure()
        .expect("callers fail at once")
        .clone();
    assert_eq!(error, AuthError::Misconfigured { status: 404 });
    assert_eq!(error.class(), ErrorClass::Misconfigured);
    assert!(error.to_string().contains("API URL"), "{error}");
    harness.advance(Duration::from_secs(3600));
    let times: Vec<Duration> = harness.sent.iter().map(|(at, _)| *at).collect();
    // 0, +300, +600, +1200 (each after 20 ms latency), then a token.
    assert_eq!(times[1], secs(300.02), "{times:?}");
    assert_eq!(times[2], secs(900.04), "{times:?}");
    assert_eq!(times[3], secs(2100.06), "{times:?}");
    assert!(harness.token().is_some());
    assert_eq!(
        harness
            .event_list()
            .iter()
            .filter(|e| matches!(e, Event::Failed { .. }))
            .count(),
        3
    );
}
