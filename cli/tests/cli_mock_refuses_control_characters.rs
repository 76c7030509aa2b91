//! An API key secret with control characters is one the client refuses to
//! send, so an emulator holding it could serve no client: `revault-auth
//! mock` refuses it (exit 2) before listening, naming the setting without
//! echoing the secret.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{bare, error_line, run};

#[test]
fn mock_with_a_control_character_in_the_secret_is_a_usage_error() {
    let mut command = bare(&["mock"]);
    command.env("REVAULT_API_KEY_SECRET", "zz-mock-secret\u{7}-bell");
    let refused = run(command, Duration::from_secs(20));
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(refused.stdout.is_empty(), "no base URL: {}", refused.show());
    let line = error_line(&refused);
    assert!(line.contains("api_key_secret"), "{}", refused.show());
    assert!(line.contains("control characters"), "{}", refused.show());
    assert!(
        !refused.stderr.contains("zz-mock-secret"),
        "{}",
        refused.show()
    );
}
