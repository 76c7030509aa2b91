//! Handing the core the key it already has changes nothing: the refresh
//! token is kept, and a backoff under way stands.

mod common;

use std::time::Duration;

use common::{KEY_ID, SECRET, epoch, purposes, ready_harness, secs};
use revault_auth_core::Purpose;
use revault_auth_core::testing::{Harness, Reply};

#[test]
fn the_same_key_keeps_the_refresh_token() {
    let mut harness = ready_harness();
    harness.advance(Duration::from_secs(100));
    harness.update_api_key(KEY_ID, SECRET);
    harness.advance(Duration::from_secs(200));
    assert_eq!(
        purposes(&harness),
        [Purpose::Authenticate, Purpose::Refresh]
    );
}

#[test]
fn the_same_key_keeps_the_backoff() {
    let config = common::builder()
        .tune(|p| p.backoff_base = Duration::from_secs(5))
        .build()
        .expect("valid");
    let mut harness = Harness::new(config, epoch());
    harness.push(Reply::Status(502));
    harness.start();
    harness.advance(Duration::from_secs(1));
    harness.update_api_key(KEY_ID, SECRET);
    harness.advance(Duration::from_secs(20));
    assert_eq!(harness.sent.len(), 2);
    assert!(harness.sent[1].0 >= secs(5.02), "{:?}", harness.sent);
}
