//! A server's message with bidi controls (which can make a terminal show
//! the error line in another order than it holds) reaches stderr without
//! them.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{bare, run};
use common::{KEY_ID, SECRET, WORKSPACE};
use hostile::{Scripted, json_answer};

#[test]
fn bidi_controls_in_a_server_message_never_reach_stderr() {
    let server = Scripted::start(|_| {
        json_answer(
            "401 Unauthorized",
            serde_json::json!({
                "message": "denied \u{202e}dekcolnu\u{202c} \u{2067}key\u{2069}\u{200b}",
                "code": "UNAUTHORIZED\u{202e}"
            })
            .to_string(),
        )
    });
    let mut command = bare(&["token", "--deadline", "5"]);
    command
        .env("REVAULT_API_URL", &server.base_url)
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET);
    let run = run(command, Duration::from_secs(20));
    assert_eq!(run.code(), Some(3), "{}", run.show());
    assert!(run.stderr.contains("denied"), "{}", run.show());
    for c in ['\u{202e}', '\u{202c}', '\u{2067}', '\u{2069}', '\u{200b}'] {
        assert!(!run.stderr.contains(c), "{c:?} on stderr: {:?}", run.stderr);
    }
}
