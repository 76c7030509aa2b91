//! A wrong secret: exit 3 and one `error:` line with the server's message
//! and code.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, emulator, error_line, run};

#[test]
fn wrong_secret_exits_3_with_the_servers_message() {
    let server = emulator();
    let wrong = "wrong-secret-b81e55";
    for args in [&["token"][..], &["get", "/accounts"]] {
        let mut command = against(&server, args);
        command.env("REVAULT_API_KEY_SECRET", wrong);
        let run = run(command, Duration::from_secs(20));
        assert_eq!(run.code(), Some(3), "{}", run.show());
        let line = error_line(&run);
        assert!(
            line.contains("Invalid API key credentials"),
            "{}",
            run.show()
        );
        assert!(line.contains("UNAUTHORIZED"), "{}", run.show());
        assert!(line.contains("401"), "{}", run.show());
        assert!(run.stdout.is_empty(), "{}", run.show());
        assert_no_secrets(&run, &[wrong]);
    }
    // Refused once each: a terminal error is not retried.
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.protected_requests(), 0);
}
