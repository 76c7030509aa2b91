//! Behaviour 12: secrets live in redacted, zeroizing types; no Debug of any
//! public type, no error and no event carries the API key secret, an access
//! token or a refresh token.

mod common;

use std::time::Duration;

use common::{SECRET, config, epoch};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{
    AccessTokenSecret, ApiKeySecret, AuthCore, Policy, RefreshToken, parse_grant,
};

const TOKEN_PREFIX: &str = "zz-distinctive-token";

fn assert_clean(what: &str, text: &str) {
    for secret in [SECRET, TOKEN_PREFIX] {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
}

#[test]
fn full_flow_never_shows_a_secret() {
    let mut harness = Harness::new(config(), epoch());
    harness.server.token_prefix = TOKEN_PREFIX.to_owned();
    harness.server.access_ttl = 5.0;
    harness.server.refresh_ttl = 30.0;
    harness.push(Reply::Normal);
    harness.start();
    harness.advance(Duration::from_secs(20));
    harness.push(Reply::Status(401));
    harness.push(Reply::Status(500));
    harness.push(Reply::RateLimited(429, Some("1".into())));
    harness.push(Reply::Raw(
        200,
        format!(r#"{{"accessToken":"{TOKEN_PREFIX}-x","expiresInSeconds":"{TOKEN_PREFIX}"}}"#)
            .into_bytes(),
    ));
    harness.advance(Duration::from_secs(60));
    assert!(harness.reject_current_token());
    harness.advance(Duration::from_secs(10));

    let token = harness.token().expect("token").clone();
    assert!(token.secret().expose_secret().starts_with(TOKEN_PREFIX));
    assert_clean("AccessToken", &format!("{token:?}"));
    assert_clean("header value", &format!("{:?}", token.header_value()));
    assert!(token.header_value().is_sensitive());
    assert_clean("AuthCore", &format!("{:?}", harness.core));
    assert_clean("Config", &format!("{:?}", harness.core.config()));
    assert_clean("Harness", &format!("{harness:?}"));
    for (_, event) in &harness.events {
        assert_clean("event", &format!("{event:?}"));
        if let revault_auth_core::Event::RetryScheduled { error, .. } = event {
            assert_clean("error", &format!("{error} {error:?}"));
        }
    }
    assert!(harness.events.len() > 8, "the flow exercised many events");
}

#[test]
fn transmits_and_grants_are_redacted() {
    let now = epoch();
    let mut core = AuthCore::new(config(), now);
    core.start(now);
    let transmit = core.poll_transmit(now).expect("request");
    let shown = format!("{transmit:?}");
    assert_clean("Transmit", &shown);
    assert!(shown.contains("redacted"));
    let body = format!(
        r#"{{"accessToken":"{TOKEN_PREFIX}.a","expiresInSeconds":300,"refreshToken":"{TOKEN_PREFIX}.r","refreshExpiresInSeconds":1800}}"#
    );
    let grant = parse_grant(body.as_bytes(), &Policy::default()).expect("valid");
    assert_clean("Grant", &format!("{grant:?}"));
}

#[test]
fn secret_types_redact_debug_and_show_a_fingerprint() {
    let secrets = [
        format!("{:?}", ApiKeySecret::new(SECRET)),
        format!("{:?}", AccessTokenSecret::new(TOKEN_PREFIX)),
        format!("{:?}", RefreshToken::new(TOKEN_PREFIX)),
    ];
    for shown in &secrets {
        assert_clean("secret type", shown);
        assert!(shown.contains("redacted #"), "{shown}");
    }
}

/// The fingerprint is 32-bit FNV-1a (published test vectors), so two
/// programs logging the same token show the same number.
#[test]
fn the_fingerprint_is_fnv_1a() {
    assert_eq!(AccessTokenSecret::new("").fingerprint(), 0x811c_9dc5);
    assert_eq!(AccessTokenSecret::new("a").fingerprint(), 0xe40c_292c);
    assert_eq!(AccessTokenSecret::new("foobar").fingerprint(), 0xbf9c_f968);
}

/// A token's Debug names its generation and deadlines and redacts the JWT.
#[test]
fn an_access_token_debugs_without_its_secret() {
    let harness = common::ready_harness();
    let token = harness.token().expect("a token");
    let shown = format!("{token:?}");
    assert!(shown.starts_with("AccessToken {"), "{shown}");
    assert!(
        shown.contains(&format!("generation: {:?}", token.generation())),
        "{shown}"
    );
    assert!(shown.contains("usable_until"), "{shown}");
    assert!(shown.contains("redacted #"), "{shown}");
    assert!(!shown.contains(token.secret().expose_secret()), "{shown}");
}
