//! Flags override the environment: `--api-url`, `--workspace` and
//! `--api-key-id` win over `REVAULT_API_URL`, `REVAULT_WORKSPACE` and
//! `REVAULT_API_KEY_ID`.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, emulator, error_line, looks_like_jwt, run};
use common::{KEY_ID, WORKSPACE};

#[test]
fn flags_override_environment_variables() {
    let server = emulator();
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nowhere = format!("http://{}/v1/rest", closed.local_addr().expect("address"));
    drop(closed);

    // The environment alone is read: a workspace the key does not belong to
    // is refused with 403.
    let mut from_env = against(&server, &["token"]);
    from_env.env("REVAULT_WORKSPACE", "env-workspace");
    let refused = run(from_env, Duration::from_secs(20));
    assert_eq!(refused.code(), Some(3), "{}", refused.show());
    assert!(
        error_line(&refused).contains("HTTP 403"),
        "{}",
        refused.show()
    );
    assert_no_secrets(&refused, &[]);
    let log = server.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].workspace.as_deref(), Some("env-workspace"));

    // Flags win over every one of the three variables.
    let server_url = server.base_url();
    let mut overridden = against(
        &server,
        &[
            "token",
            "--api-url",
            &server_url,
            "--workspace",
            WORKSPACE,
            "--api-key-id",
            KEY_ID,
        ],
    );
    overridden
        .env("REVAULT_API_URL", &nowhere)
        .env("REVAULT_WORKSPACE", "env-workspace")
        .env("REVAULT_API_KEY_ID", "env-key-id");
    let ok = run(overridden, Duration::from_secs(20));
    assert_eq!(ok.code(), Some(0), "{}", ok.show());
    assert!(looks_like_jwt(ok.stdout.trim_end()), "{}", ok.show());
    let log = server.log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].workspace.as_deref(), Some(WORKSPACE));
    assert_eq!(log[1].api_key_id.as_deref(), Some(KEY_ID));
    assert_eq!(log[1].status, Some(200));
}
