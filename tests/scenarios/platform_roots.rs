//! Every manager's default transport trusts the platform's certificate
//! roots: a private CA named by `SSL_CERT_FILE` is trusted, the same server
//! refused without it. Run in a child process of this suite: the
//! environment is the whole process's.

use std::time::Duration;

use revault_auth::{ApiKeySecret, Config, ErrorClass, TokenError};
use revault_auth_mock::UntrustedTls;

use crate::manager::{AsyncStd, Manager, Options, Smol, Tokio, Ureq};

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
                "platform_roots::platform_roots_child",
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
    assert_eq!(refused.matches(": untrusted").count(), 4, "{refused}");
    assert_eq!(server.handshakes(), 0, "the certificate was refused");
    let trusted = child(true);
    // The server answers 404 once the handshake is through.
    assert_eq!(trusted.matches(": misconfigured").count(), 4, "{trusted}");
    assert!(server.handshakes() >= 4, "the certificate was trusted");
}

/// One token request through `M`'s default transport to `url`: what came
/// of it.
fn answer<M: Manager>(url: &str) -> String {
    let config = Config::builder(
        format!("{url}/v1/rest"),
        "workspace",
        "key",
        ApiKeySecret::new("platform-roots-secret"),
    )
    .build()
    .expect("config");
    let answer = M::run(async {
        let manager = M::build(config, Options::wait(Duration::from_secs(2)));
        let answer = manager.token().await;
        manager.shutdown().await;
        answer
    });
    match answer {
        Err(TokenError::Failed(error)) if error.class() == ErrorClass::Misconfigured => {
            "misconfigured".to_owned()
        }
        Err(TokenError::TimedOut {
            cause: Some(cause), ..
        }) if cause.as_str().contains("certificate") => "untrusted".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The child: prints each manager's answer.
#[test]
fn platform_roots_child() {
    let Some(url) = std::env::var_os(CHILD_URL) else {
        return; // only meaningful in the child process
    };
    let url = url.into_string().expect("url");
    for (name, answer) in [
        ("tokio", answer::<Tokio>(&url)),
        ("async_std", answer::<AsyncStd>(&url)),
        ("smol", answer::<Smol>(&url)),
        ("ureq", answer::<Ureq>(&url)),
    ] {
        println!("{name}: {answer}");
    }
}
