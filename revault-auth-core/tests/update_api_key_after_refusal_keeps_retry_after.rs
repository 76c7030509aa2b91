//! A new key cuts short only the slow wait after a refusal, never the
//! server's `Retry-After`: Retry-After and backoff stand. Here the slow
//! retry after a 401 is answered 429 with `Retry-After: 30` while the
//! refusal still stands; rotating the key then must not send before those
//! 30 seconds are over.

mod common;

use std::time::Duration;

use common::{KEY_ID_2, SECRET_2, config, epoch};
use revault_auth_core::testing::{Harness, Reply};

#[test]
fn a_new_key_after_a_refusal_still_waits_out_retry_after() {
    let mut harness = Harness::new(config(), epoch());
    harness.server.add_key(KEY_ID_2, SECRET_2);
    harness.push(Reply::Status(401));
    harness.push(Reply::RateLimited(429, Some("30".into())));
    harness.start();
    harness.run_until(Duration::from_secs(3600), |h| h.sent.len() == 2);
    assert_eq!(harness.sent.len(), 2, "the slow retry went out");
    assert!(harness.core.failure().is_some(), "the refusal still stands");
    let rate_limited_at = harness.sent[1].0;

    harness.advance(Duration::from_secs(1));
    harness.update_api_key(KEY_ID_2, SECRET_2);
    harness.advance(Duration::from_secs(60));

    assert_eq!(harness.sent.len(), 3);
    let third = harness.sent[2].0;
    assert!(
        third >= rate_limited_at + Duration::from_secs(30),
        "sent {third:?}, Retry-After ran to {:?}",
        rate_limited_at + Duration::from_secs(30)
    );
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
    assert!(harness.token().is_some());
}
