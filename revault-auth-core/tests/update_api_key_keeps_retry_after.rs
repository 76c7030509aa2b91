//! Rotating the API key while the server's `Retry-After` runs does not
//! clear it: the next request, with the new key, still waits.

mod common;

use std::time::Duration;

use common::{KEY_ID_2, SECRET_2, config, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};

#[test]
fn retry_after_stands_across_update_api_key() {
    let mut harness = Harness::new(config(), epoch());
    harness.server.add_key(KEY_ID_2, SECRET_2);
    harness.push(Reply::RateLimited(429, Some("30".into())));
    harness.start();
    harness.advance(Duration::from_secs(1));
    harness.update_api_key(KEY_ID_2, SECRET_2);
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.sent.len(), 2);
    let second = harness.sent[1].0;
    assert!(second >= secs(30.0) && second <= secs(30.1), "{second:?}");
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
    assert!(harness.token().is_some());
}
