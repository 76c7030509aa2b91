//! Behaviour 11: response bodies above the cap (64 KiB) are rejected as
//! invalid, whatever they hold.

mod common;

use std::time::Duration;

use common::{config, epoch};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthError, DEFAULT_MAX_BODY, Event, InvalidResponse};

#[test]
fn oversized_body_is_rejected_even_when_it_is_valid_json() {
    let padding = " ".repeat(DEFAULT_MAX_BODY);
    let body = format!(
        r#"{{"accessToken":"a.b.c",{padding}"expiresInSeconds":300,"refreshToken":"r","refreshExpiresInSeconds":1800}}"#
    );
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Raw(200, body.into_bytes()));
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert!(harness.event_list().iter().any(|e| matches!(
        e,
        Event::RetryScheduled {
            error: AuthError::InvalidResponse(InvalidResponse::BodyTooLarge { limit: 65536 }),
            ..
        }
    )));
    assert!(harness.token().is_none());
    harness.advance(Duration::from_secs(2));
    assert!(harness.token().is_some(), "the retry gets a normal answer");
}

#[test]
fn a_body_at_the_cap_is_accepted() {
    let json = r#"{"accessToken":"a.b.c","expiresInSeconds":300,"refreshToken":"r","refreshExpiresInSeconds":1800}"#;
    let body = format!("{json}{}", " ".repeat(DEFAULT_MAX_BODY - json.len()));
    assert_eq!(body.len(), DEFAULT_MAX_BODY);
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Raw(200, body.into_bytes()));
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert!(harness.token().is_some());
}
