//! Each missing setting is a configuration error (exit 2) that names it,
//! before any traffic.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, assert_no_traffic, emulator, error_line, run};

#[test]
fn missing_configuration_exits_2() {
    let server = emulator();
    for (variable, flag) in [
        ("REVAULT_API_URL", "--api-url"),
        ("REVAULT_WORKSPACE", "--workspace"),
        ("REVAULT_API_KEY_ID", "--api-key-id"),
        ("REVAULT_API_KEY_SECRET", "--api-key-secret-file"),
    ] {
        for subcommand in [
            &["token"][..],
            &["get", "/accounts"],
            &["watch", "--duration", "1"],
        ] {
            let mut command = against(&server, subcommand);
            command.env_remove(variable);
            let run = run(command, Duration::from_secs(20));
            assert_eq!(
                run.code(),
                Some(2),
                "{variable} {subcommand:?}\n{}",
                run.show()
            );
            let line = error_line(&run);
            assert!(
                line.contains(variable) && line.contains(flag),
                "{}",
                run.show()
            );
            assert!(run.stdout.is_empty(), "{}", run.show());
            assert_no_secrets(&run, &[]);
        }
        // An empty value counts as missing.
        let mut command = against(&server, &["token"]);
        command.env(variable, "");
        let run = run(command, Duration::from_secs(20));
        assert_eq!(run.code(), Some(2), "empty {variable}\n{}", run.show());
    }
    assert_no_traffic(&server);
}
