//! `revault-auth get PATH` sends `GET {base}{PATH}` with the bearer token
//! and prints the body.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, emulator, run};
use common::{KEY_ID, WORKSPACE};

#[test]
fn get_prints_the_body() {
    let server = emulator();

    let run = run(
        against(&server, &["get", "/accounts/42?page=2"]),
        Duration::from_secs(20),
    );

    assert_eq!(run.code(), Some(0), "{}", run.show());
    let body: serde_json::Value =
        serde_json::from_str(run.stdout.trim_end()).expect("the emulator's JSON body");
    assert_eq!(body["ok"], true, "{}", run.show());
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/v1/rest/accounts/42");
    assert_eq!(body["workspace"], WORKSPACE);
    assert_eq!(body["apiKeyId"], KEY_ID);
    assert!(run.stderr.is_empty(), "{}", run.show());
    assert_eq!(server.protected_requests(), 1);
    assert_eq!(server.token_requests(), 1);
    assert_no_secrets(&run, &[]);
}
