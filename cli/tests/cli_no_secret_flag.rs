//! The secret is never taken from the command line: `--api-key-secret` does
//! not exist (clap error, exit 2), and the value is not echoed.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, assert_no_traffic, emulator, error_line, run};
use common::SECRET;

#[test]
fn secret_flags_do_not_exist() {
    let server = emulator();
    let inline = format!("--api-key-secret={SECRET}");
    for args in [
        vec!["token", "--api-key-secret", SECRET],
        vec!["token", inline.as_str()],
        vec!["get", "/accounts", "--api-key-secret", SECRET],
        vec!["watch", "--secret", SECRET],
    ] {
        let mut command = against(&server, &args);
        command.env_remove("REVAULT_API_KEY_SECRET");
        let run = run(command, Duration::from_secs(20));
        assert_eq!(run.code(), Some(2), "{args:?}\n{}", run.show());
        let line = error_line(&run);
        assert!(line.contains("unexpected argument"), "{}", run.show());
        assert!(run.stdout.is_empty(), "{}", run.show());
        assert_no_secrets(&run, &[]);
    }
    assert_no_traffic(&server);
}
