//! Server messages are scrubbed of every form a secret takes (the API key
//! secret, the access and refresh tokens, `Bearer <jwt>`) before they are
//! cut to 300 characters, so no prefix of a secret survives the cut.

mod common;

use std::time::Duration;

use common::{SECRET, config, epoch, ready_harness};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{MAX_SERVER_TEXT_CHARS, scrub_server_text};

fn refused_with(message: &str, code: &str) -> String {
    let mut harness = Harness::new(config(), epoch());
    let body = serde_json::json!({ "message": message, "code": code }).to_string();
    harness.push(Reply::Raw(401, body.into_bytes()));
    harness.start();
    harness.advance(Duration::from_secs(1));
    let error = harness.core.failure().expect("refused");
    format!("{error} {error:?}")
}

#[test]
fn a_secret_straddling_the_cut_leaves_no_prefix() {
    let padded = format!("{}{SECRET}", "x".repeat(292));
    let shown = refused_with(&padded, &padded);
    assert!(!shown.contains(&SECRET[..6]), "{shown}");
    // The redaction itself may be what the cut shortens.
    assert!(shown.contains("[redacte"), "{shown}");
}

#[test]
fn bearer_tokens_and_jwts_are_scrubbed() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    let shown = refused_with(
        &format!("auth header was Bearer {jwt}"),
        &format!("token {jwt}"),
    );
    assert!(!shown.contains("eyJ"), "{shown}");
    assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
    assert!(shown.contains("Bearer [redacted]"), "{shown}");
}

#[test]
fn the_refresh_and_access_tokens_are_scrubbed_from_a_refresh_rejection() {
    let mut harness = ready_harness();
    let access = harness
        .token()
        .expect("token")
        .secret()
        .expose_secret()
        .to_owned();
    let refresh = harness
        .core
        .export(harness.now(), harness.wall())
        .and_then(|saved| saved.refresh_token)
        .expect("refresh token")
        .expose_secret()
        .to_owned();
    let body = serde_json::json!({
        "message": format!("{} refresh {refresh} access {access}", "y".repeat(280)),
        "code": format!("{refresh}{access}"),
    });
    harness.push(Reply::Raw(401, body.to_string().into_bytes()));
    harness.advance(Duration::from_secs(250));
    let shown: Vec<String> = harness
        .event_list()
        .iter()
        .map(|event| format!("{event:?}"))
        .collect();
    let shown = shown.join("\n");
    assert!(shown.contains("RefreshRejected"), "{shown}");
    for secret in [&refresh, &access] {
        assert!(!shown.contains(&secret[..6]), "{shown}");
    }
}

#[test]
fn the_public_helper_scrubs_then_cuts() {
    let secret = "s3cr3t-value-123";
    let text = format!(
        "{}{secret} Bearer abc.def and eyJx.y.z\n{secret}",
        "p".repeat(290)
    );
    let scrubbed = scrub_server_text(&text, &[secret, ""]);
    assert_eq!(scrubbed.chars().count(), MAX_SERVER_TEXT_CHARS);
    assert!(!scrubbed.contains("s3c"), "{scrubbed}");
    assert!(scrubbed.ends_with("[redacted]"), "{scrubbed}");
    let short = scrub_server_text(
        "key s3cr3t-value-123, bearer  abc.def; eyJa.b.c\tend",
        &[secret],
    );
    assert_eq!(short, "key [redacted], bearer  [redacted]; [redacted] end");
    assert_eq!(scrub_server_text("Bearer", &[]), "Bearer");
    assert_eq!(scrub_server_text("bearers of news", &[]), "bearers of news");
    assert_eq!(
        scrub_server_text("x Bearer\tab", &[]),
        "x Bearer [redacted]"
    );
    assert_eq!(scrub_server_text("keyJWT heyJ", &[]), "keyJWT heyJ");
    assert_eq!(MAX_SERVER_TEXT_CHARS, 300);
}
