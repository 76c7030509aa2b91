//! Non-UTF-8 bytes in a `REVAULT_*` variable are a usage error (exit 2)
//! that names the variable, so the user knows which one to fix (clap's
//! generic message does not say), and nothing is sent.

mod cli_support;
mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use cli_support::{against, assert_no_traffic, emulator, error_line, run};

#[test]
fn a_non_utf8_revault_variable_is_named_in_the_error() {
    let server = emulator();
    for name in ["REVAULT_WORKSPACE", "REVAULT_API_KEY_ID", "REVAULT_API_URL"] {
        let mut command = against(&server, &["token"]);
        command.env(name, OsStr::from_bytes(b"bad-\xff\xfe-bytes"));
        let refused = run(command, Duration::from_secs(20));
        assert_eq!(refused.code(), Some(2), "{}", refused.show());
        let line = error_line(&refused);
        assert!(line.contains(name), "{name}: {}", refused.show());
        assert!(line.contains("UTF-8"), "{}", refused.show());
    }
    assert_no_traffic(&server);
}
