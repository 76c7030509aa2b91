//! The default transport trusts the platform's certificate roots: a private
//! CA named by `SSL_CERT_FILE` is trusted, the same server refused without
//! it. Run in a child process: the environment is the whole process's.

use std::time::Duration;

use revault_auth_core::{ApiKeySecret, Config, ErrorClass, TokenError};
use revault_auth_mock::UntrustedTls;
use revault_auth_ureq::BlockingTokenManager;

const CHILD_URL: &str = "REVAULT_AUTH_PLATFORM_ROOTS_CHILD_URL";

#[test]
fn a_ca_named_by_ssl_cert_file_is_trusted_and_refused_without_it() {
    let server = UntrustedTls::start().expect("TLS listener");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("private-ca.pem");
    std::fs::write(&ca, server.certificate_pem()).expect("write");

    let child = |trust: bool| {
        let mut command = std::process::Command::new(std::env::current_exe().expect("test"));
        command
            .args([
                "--exact",
                "platform_roots_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_URL, server.url())
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR");
        if trust {
            command.env("SSL_CERT_FILE", &ca);
        }
        let output = command.output().expect("child test");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{stdout}");
        assert!(stdout.contains("1 passed"), "{stdout}");
        stdout
    };

    let refused = child(false);
    assert!(refused.contains("answer: untrusted"), "{refused}");
    assert_eq!(server.handshakes(), 0, "the certificate was refused");
    let trusted = child(true);
    // The server answers 404 once the handshake is through.
    assert!(trusted.contains("answer: misconfigured"), "{trusted}");
    assert!(server.handshakes() >= 1, "the certificate was trusted");
}

/// The child: one token request through the default transport, whose
/// outcome it prints.
#[test]
fn platform_roots_child() {
    let Some(url) = std::env::var_os(CHILD_URL) else {
        return;
    };
    let url = url.into_string().expect("url");
    let config = Config::builder(
        format!("{url}/v1/rest"),
        "workspace",
        "key",
        ApiKeySecret::new("platform-roots-secret"),
    )
    .build()
    .expect("config");
    let manager = BlockingTokenManager::new(config)
        .expect("manager")
        .wait_timeout(Duration::from_secs(2));
    let answer = match manager.token() {
        Err(TokenError::Failed(error)) if error.class() == ErrorClass::Misconfigured => {
            "misconfigured".to_owned()
        }
        Err(TokenError::TimedOut {
            cause: Some(cause), ..
        }) if cause.as_str().contains("certificate") => "untrusted".to_owned(),
        other => format!("{other:?}"),
    };
    println!("answer: {answer}");
}
