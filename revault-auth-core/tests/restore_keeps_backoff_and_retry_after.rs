//! Restoring a snapshot does not wipe out a server's `Retry-After` under
//! way: the next request still waits for it.

mod common;

use std::time::Duration;

use common::{config, epoch, ready_harness, secs};
use revault_auth_core::testing::{Harness, Reply};

#[test]
fn restore_keeps_the_retry_after() {
    // A snapshot from another process, whose token is due for a refresh.
    let donor = ready_harness();
    let mut snapshot = donor
        .core
        .export(donor.now(), donor.wall())
        .expect("export");
    snapshot.access_refresh_at_unix_ms = 0;

    let mut harness = Harness::with_server(config(), donor.server, epoch());
    harness.push(Reply::RateLimited(429, Some("40".into())));
    harness.start();
    harness.advance(Duration::from_secs(1));
    assert!(
        harness
            .core
            .restore(snapshot, harness.now(), harness.wall())
    );
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.sent.len(), 2);
    let second = harness.sent[1].0;
    assert!(second >= secs(40.0) && second <= secs(40.1), "{second:?}");
    assert!(
        harness.early_requests.is_empty(),
        "{:?}",
        harness.early_requests
    );
    assert_eq!(harness.sent[1].1, revault_auth_core::Purpose::Refresh);
    assert!(harness.token().is_some());
}
