//! A server whose certificate is not trusted: the caller's error names the
//! certificate problem (the HTTP client's own words, as `source()`), not a
//! bare "could not connect", and shows no secret.

use std::error::Error as _;
use std::time::Duration;

use revault_auth::{ApiKeySecret, AuthError, Config, TokenError};
use revault_auth_mock::UntrustedTls;

use crate::manager::{Manager, Options};

const SECRET: &str = "certificate-test-secret";

async fn an_untrusted_certificate_is_named_in_the_error<M: Manager>() {
    let server = UntrustedTls::start().expect("TLS listener");
    let config = Config::builder(
        format!("{}/v1/rest", server.url()),
        "workspace",
        "key",
        ApiKeySecret::new(SECRET),
    )
    .build()
    .expect("config");
    let manager = M::build(config, Options::wait(Duration::from_secs(2)));

    let error = manager
        .token()
        .await
        .expect_err("no token from an untrusted server");
    let TokenError::TimedOut {
        last_error: Some(AuthError::Transport(_)),
        cause: Some(cause),
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    let source = error.source().map(ToString::to_string).unwrap_or_default();
    assert_eq!(source, cause.as_str());
    assert!(source.contains("certificate"), "{source}");
    assert!(!format!("{error:?}").contains(SECRET));
    assert!(!error.to_string().contains(SECRET));
    assert_eq!(server.handshakes(), 0, "the certificate was refused");
    manager.shutdown().await;
}

every_manager!(an_untrusted_certificate_is_named_in_the_error);
