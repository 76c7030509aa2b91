//! A route the API key lacks permission for answers 401 with
//! `WWW-Authenticate: Bearer error="insufficient_scope"`: `get` reports it
//! without spending a new token on it (the middleware's rule), while a 401
//! that blames the token (`invalid_token`) still gets one retry with a new
//! token. The oracle is what the scripted server received.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{bare, error_line, run};
use common::{KEY_ID, SECRET, WORKSPACE};
use hostile::{Scripted, token_answer};

fn unauthorized(challenge: &'static str) -> Scripted {
    Scripted::start(move |request| {
        if request.path.contains("/auth/token") {
            return token_answer();
        }
        (
            "401 Unauthorized",
            vec![
                "content-type: application/json".to_owned(),
                format!("www-authenticate: {challenge}"),
            ],
            r#"{"message":"not allowed here","code":"UNAUTHORIZED"}"#.to_owned(),
        )
    })
}

fn get(server: &Scripted) -> cli_support::Run {
    let mut command = bare(&["get", "/accounts", "--deadline", "10"]);
    command
        .env("REVAULT_API_URL", &server.base_url)
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET);
    run(command, Duration::from_secs(30))
}

#[test]
fn insufficient_scope_spends_no_new_token() {
    let server = unauthorized(r#"Bearer realm="revault", error="insufficient_scope""#);
    let refused = get(&server);
    assert_eq!(refused.code(), Some(1), "{}", refused.show());
    assert_eq!(server.count("/accounts"), 1, "the GET was retried");
    assert_eq!(
        server.count("/auth/token") + server.count("/auth/token/refresh"),
        1,
        "a new token was fetched for a 401 that is not about the token"
    );
    let line = error_line(&refused);
    assert!(line.contains("HTTP 401"), "{line}");
    assert!(line.contains("not about the token"), "{line}");
    assert!(line.contains("not allowed here"), "{line}");
}

#[test]
fn invalid_token_still_gets_one_retry_with_a_new_token() {
    let server = unauthorized(r#"Bearer error="invalid_token""#);
    let refused = get(&server);
    assert_eq!(refused.code(), Some(1), "{}", refused.show());
    assert_eq!(server.count("/accounts"), 2, "one retry");
    assert_eq!(
        server.count("/auth/token") + server.count("/auth/token/refresh"),
        2,
        "one new token for the retry"
    );
    assert!(
        error_line(&refused).contains("401 again"),
        "{}",
        refused.show()
    );
}
