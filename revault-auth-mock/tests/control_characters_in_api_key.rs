//! The client refuses to send an API key (or workspace) with control
//! characters, so an emulator configured with one could never be
//! authenticated against: it refuses to start, naming the field but never
//! showing the value.

mod common;

use std::io::ErrorKind;

use revault_auth_mock::{MockConfig, MockServer};

const SECRET_WITH_CONTROL: &str = "zz-secret-with-bell\u{7}-and-newline\n";

#[tokio::test]
async fn an_api_key_secret_with_control_characters_is_refused_at_start() {
    let config = MockConfig {
        api_key_secret: SECRET_WITH_CONTROL.to_owned(),
        ..MockConfig::default()
    };
    let error = MockServer::start(config.clone())
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("api_key_secret"), "{shown}");
    assert!(shown.contains("control characters"), "{shown}");
    assert!(!shown.contains("zz-secret"), "{shown}");

    let error = MockServer::start_background(config.clone()).expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let error = revault_auth_mock::serve(listener, config)
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[test]
fn every_credential_field_is_checked_for_control_characters_and_emptiness() {
    for (field, config) in [
        (
            "workspace",
            MockConfig {
                workspace: "demo\u{1b}[31m".to_owned(),
                ..MockConfig::default()
            },
        ),
        (
            "api_key_id",
            MockConfig {
                api_key_id: "id\r\nX-Injected: 1".to_owned(),
                ..MockConfig::default()
            },
        ),
        (
            "api_key_secret",
            MockConfig {
                api_key_secret: "  ".to_owned(),
                ..MockConfig::default()
            },
        ),
    ] {
        let error = config.validate().expect_err(field);
        assert_eq!(error.field, field);
    }
    assert_eq!(MockConfig::default().validate(), Ok(()));
}
