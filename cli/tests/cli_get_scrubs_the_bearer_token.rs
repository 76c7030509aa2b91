//! A server answering `get` with 403 `{"message":"auth header was Bearer
//! eyJ..."}` echoes the token it was sent: `get` scrubs server text as the
//! authentication path does, so the token is never printed back.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{assert_no_secrets, bare, error_line, run};
use common::{KEY_ID, SECRET, WORKSPACE};
use hostile::{SCRIPTED_ACCESS_TOKEN, Scripted, json_answer, token_answer};

#[test]
fn get_does_not_echo_the_bearer_token_a_403_quotes() {
    let server = Scripted::start(|request| {
        if request.path.ends_with("/auth/token") {
            return token_answer();
        }
        let header = request.header("authorization").unwrap_or_default();
        json_answer(
            "403 Forbidden",
            serde_json::json!({
                "message": format!("auth header was {header}"),
                "code": format!("FORBIDDEN {header} key {SECRET}"),
            })
            .to_string(),
        )
    });
    let mut command = bare(&["get", "/accounts", "--deadline", "5"]);
    command
        .env("REVAULT_API_URL", &server.base_url)
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET);
    let refused = run(command, Duration::from_secs(20));

    // The oracle: the server did receive the bearer token...
    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/accounts"))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {SCRIPTED_ACCESS_TOKEN}").as_str())
    );
    // ...and the CLI did not print it back.
    assert_eq!(refused.code(), Some(1), "{}", refused.show());
    let line = error_line(&refused);
    assert!(line.contains("HTTP 403"), "{}", refused.show());
    assert!(line.contains("auth header was"), "{}", refused.show());
    assert!(!line.contains(SCRIPTED_ACCESS_TOKEN), "{}", refused.show());
    assert_no_secrets(&refused, &[SCRIPTED_ACCESS_TOKEN]);
}
