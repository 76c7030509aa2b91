//! A server that quotes the request body in its 401 `message` sends back
//! the API key secret JSON-escaped (a secret holding `"` and `\`): no piece
//! of it, escaped or not, reaches `token`'s stderr or `watch`'s JSON.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{bare, run};
use common::{KEY_ID, WORKSPACE};
use hostile::{Scripted, json_answer};

const QUOTED_SECRET: &str = r#"cli"quoted\secret-77f0a9c3"#;

fn quoting_server() -> Scripted {
    Scripted::start(|request| {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        json_answer(
            "401 Unauthorized",
            serde_json::json!({ "message": format!("bad credentials in {body}"), "code": "UNAUTHORIZED" })
                .to_string(),
        )
    })
}

fn command(server: &Scripted, args: &[&str]) -> std::process::Command {
    let mut command = bare(args);
    command
        .env("REVAULT_API_URL", &server.base_url)
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", QUOTED_SECRET);
    command
}

fn assert_no_piece(text: &str, shown: &str) {
    let escaped = serde_json::to_string(QUOTED_SECRET).expect("encode");
    for secret in [QUOTED_SECRET, &escaped[1..escaped.len() - 1]] {
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(8) {
            let piece: String = window.iter().collect();
            assert!(!text.contains(&piece), "{piece:?} shown:\n{shown}");
        }
    }
}

#[test]
fn token_and_watch_scrub_a_json_escaped_secret_quoted_back() {
    let server = quoting_server();
    let token = run(
        command(&server, &["token", "--deadline", "5"]),
        Duration::from_secs(20),
    );
    assert_eq!(token.code(), Some(3), "{}", token.show());
    assert!(token.stderr.contains("[redacted]"), "{}", token.show());
    assert_no_piece(&token.stderr, &token.show());

    let watch = run(
        command(&server, &["watch", "--duration", "2"]),
        Duration::from_secs(20),
    );
    assert!(watch.stdout.contains("[redacted]"), "{}", watch.show());
    assert_no_piece(&watch.stdout, &watch.show());
    assert_no_piece(&watch.stderr, &watch.show());
    let sent = server.requests();
    assert!(
        sent.iter()
            .any(|request| String::from_utf8_lossy(&request.body).contains("quoted")),
        "the server did get the secret"
    );
}
