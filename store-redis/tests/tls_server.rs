//! `rediss://` really is TLS with certificate checks: a server whose
//! certificate no trusted authority signed is refused with a typed error
//! (and no panic for want of a crypto provider).

mod common;

use std::process::{Command, Stdio};

use common::{PASSWORD, key};
use revault_auth_store_redis::{RedisStore, StoreError, TokenStore};

#[test]
fn a_server_whose_certificate_no_authority_signed_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, private_key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(&private_key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !made {
        eprintln!("openssl is not installed: test skipped");
        return;
    }
    let tls_port = common::free_port();
    let Some(_server) = common::RedisServer::start_tls(tls_port, &cert, &private_key) else {
        return;
    };
    let store = RedisStore::connect(&format!("rediss://:{PASSWORD}@localhost:{tls_port}"))
        .expect("a TLS URL");
    let error = store.load(&key()).expect_err("self-signed certificate");
    match &error {
        StoreError::Unreachable { .. } => {
            let text = error.to_string();
            assert!(!text.contains(PASSWORD), "{text}");
            assert!(text.to_ascii_lowercase().contains("cert"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}
