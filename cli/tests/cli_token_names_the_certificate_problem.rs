//! `token` against a server whose certificate is not trusted: exit 4 and one
//! `error:` line naming the certificate problem, not a bare "could not
//! connect".

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
