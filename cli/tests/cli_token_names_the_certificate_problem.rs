//! `token` against a server whose certificate is not trusted: exit 4 and one
//! `error:` line naming the certificate problem, not a bare "could not
//! connect"; trusted once named by `SSL_CERT_FILE`.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{assert_no_secrets, bare, error_line, run};
use common::{KEY_ID, SECRET, WORKSPACE};
use revault_auth_mock::UntrustedTls;

#[test]
fn token_names_the_certificate_it_refused() {
    let server = UntrustedTls::start().expect("TLS listener");
    let mut command = bare(&["token", "--deadline", "2"]);
    command
        .env("REVAULT_API_URL", format!("{}/v1/rest", server.url()))
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET);
    let run = run(command, Duration::from_secs(20));
    assert_eq!(run.code(), Some(4), "{}", run.show());
    let line = error_line(&run);
    assert!(line.contains("could not connect"), "{}", run.show());
    assert!(line.contains("invalid peer certificate"), "{}", run.show());
    assert!(line.contains("UnknownIssuer"), "{}", run.show());
    assert!(run.stdout.is_empty(), "{}", run.show());
    assert_no_secrets(&run, &[]);
}

#[test]
fn token_trusts_a_ca_named_by_ssl_cert_file() {
    let server = UntrustedTls::start().expect("TLS listener");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("private-ca.pem");
    std::fs::write(&ca, server.certificate_pem()).expect("write");
    let mut command = bare(&["token", "--deadline", "2"]);
    command
        .env("REVAULT_API_URL", format!("{}/v1/rest", server.url()))
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET)
        .env("SSL_CERT_FILE", &ca)
        .env_remove("SSL_CERT_DIR");
    let run = run(command, Duration::from_secs(20));
    // The server answers 404 once the handshake is through: a wrong URL.
    assert_eq!(run.code(), Some(2), "{}", run.show());
    assert!(error_line(&run).contains("404"), "{}", run.show());
    assert!(server.handshakes() >= 1, "{}", run.show());
    assert_no_secrets(&run, &[]);
}
