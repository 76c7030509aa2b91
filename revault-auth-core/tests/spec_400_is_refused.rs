//! A 400 from `/auth/token` with the spec's error body says our request is
//! wrong: callers get `InvalidRequest` at once, with the server's message
//! and code, and the core retries only slowly.

mod common;

use std::time::Duration;

use common::{config, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{ErrorClass, Phase};

#[test]
fn a_spec_shaped_400_is_refused_and_retried_slowly() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Raw(
        400,
        br#"{"message":"workspace is required","code":"BAD_REQUEST","issues":[{"message":"x"}]}"#
            .to_vec(),
    ));
    harness.start();
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.sent.len(), 1);
    let error = harness.core.failure().expect("refused").clone();
    assert_eq!(error.class(), ErrorClass::InvalidRequest);
    let server = error.server_message().expect("server message kept");
    assert_eq!(server.message, "workspace is required");
    assert_eq!(server.code, "BAD_REQUEST");
    assert_eq!(harness.core.phase(), Phase::Failed);
    harness.advance(Duration::from_secs(300));
    assert_eq!(harness.sent.len(), 2);
    assert!(harness.sent[1].0 >= secs(300.02));
    assert!(harness.token().is_some());
}
