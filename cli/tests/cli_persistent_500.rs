//! A server that keeps answering 500: `token --deadline 1` retries with
//! backoff, then gives up with exit 4 and the last error.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, emulator, error_line, run};
use revault_auth_mock::{Fault, Target};

#[test]
fn persistent_500_with_a_short_deadline_exits_4() {
    let server = emulator();
    server.set_persistent_fault(Target::Both, Some(Fault::server_error()));

    let run = run(
        against(&server, &["token", "--deadline", "1"]),
        Duration::from_secs(20),
    );

    assert_eq!(run.code(), Some(4), "{}", run.show());
    assert!(run.stdout.is_empty(), "{}", run.show());
    let line = error_line(&run);
    assert!(line.contains("gave up after"), "{}", run.show());
    assert!(line.contains("HTTP 500"), "{}", run.show());
    assert!(line.contains("INTERNAL_SERVER_ERROR"), "{}", run.show());
    assert!(run.elapsed < Duration::from_secs(10), "{}", run.show());
    assert!(server.token_requests() >= 2, "it retried before giving up");
    assert_no_secrets(&run, &[]);
}
