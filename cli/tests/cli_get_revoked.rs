//! `get` with a token the server has revoked: the 401 makes it invalidate
//! the token, obtain a new one (by refresh) and retry once, then 200.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, emulator, run};
use common::{KEY_ID, WORKSPACE};
use revault_auth_mock::{Fault, Target};

#[test]
fn get_after_revocation_invalidates_and_retries_once() {
    let server = emulator();
    // The CLI authenticates and is handed a pair whose access token the
    // server has already revoked; its refresh token still works.
    let issued = server.issue_tokens(WORKSPACE, KEY_ID).expect("tokens");
    server.revoke_access_token(&issued.access_token);
    let body = serde_json::to_vec(&issued).expect("json");
    server.push_fault(Target::Token, Fault::status_with_body(200, body));

    let run = run(
        against(&server, &["-v", "get", "/accounts"]),
        Duration::from_secs(20),
    );

    assert_eq!(run.code(), Some(0), "{}", run.show());
    let body: serde_json::Value =
        serde_json::from_str(run.stdout.trim_end()).expect("the emulator's JSON body");
    assert_eq!(body["ok"], true, "{}", run.show());
    assert_eq!(body["path"], "/v1/rest/accounts");
    assert_eq!(server.protected_requests(), 2, "one 401, one retry");
    assert_eq!(server.token_requests(), 1);
    assert_eq!(
        server.refresh_requests(),
        1,
        "the new token came by refresh"
    );
    assert!(run.stderr.contains("retrying once"), "{}", run.show());
    assert_no_secrets(&run, &[&issued.refresh_token, &issued.access_token]);
}
