//! A `Retry-After` too large for any integer type
//! (`99999999999999999999999`) is a very long wait, not an absent header:
//! it saturates to `retry_after_cap`, as `999999` does. Oracle: when the
//! scripted server saw the second request.

mod common;

use std::time::Duration;

use common::{builder, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};

fn second_request_at(retry_after: &str) -> Duration {
    let config = builder()
        .tune(|p| p.retry_after_cap = Duration::from_secs(60))
        .build()
        .expect("valid");
    let mut harness = Harness::new(config, epoch());
    harness.push(Reply::RateLimited(429, Some(retry_after.into())));
    harness.start();
    harness.advance(Duration::from_secs(120));
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
    harness.sent[1].0
}

#[test]
fn an_overflowing_retry_after_waits_the_cap() {
    for huge in [
        "999999",
        "99999999999999999999999",
        "18446744073709551616",
        "1e400",
    ] {
        let at = second_request_at(huge);
        assert!(at >= secs(60.0) && at <= secs(60.1), "{huge}: {at:?}");
    }
}
