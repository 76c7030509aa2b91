//! A server whose certificate is not trusted: the caller's error names the
//! certificate problem (the HTTP client's own words, as `source()`), not a
//! bare "could not connect".

use std::error::Error;
use std::time::Duration;

use revault_auth_core::{ApiKeySecret, AuthError, Config, TransportErrorKind};
use revault_auth_mock::UntrustedTls;
use revault_auth_tokio::{TokenError, TokenManager};

const SECRET: &str = "certificate-test-secret";

#[tokio::test]
async fn an_untrusted_certificate_is_named_in_the_error() {
    let server = UntrustedTls::start().expect("TLS listener");
    let config = Config::builder(
        format!("{}/v1/rest", server.url()),
        "workspace",
        "key",
        ApiKeySecret::new(SECRET),
    )
    .build()
    .expect("config");
    let manager = TokenManager::new(config)
        .expect("manager")
        .wait_timeout(Duration::from_secs(2));

    let error = manager
        .token()
        .await
        .expect_err("no token from an untrusted server");
    let TokenError::TimedOut {
        last_error: Some(AuthError::Transport(TransportErrorKind::Connect)),
        cause: Some(cause),
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    let source = error.source().map(ToString::to_string).unwrap_or_default();
    assert_eq!(source, cause.as_str());
    assert!(source.contains("certificate"), "{source}");
    assert!(source.contains("UnknownIssuer"), "{source}");
    assert!(!format!("{error:?}").contains(SECRET));
}
