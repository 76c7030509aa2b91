//! `--api-key-secret-file PATH` reads the secret from a file, trimming one
//! trailing newline, and wins over `REVAULT_API_KEY_SECRET`.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{
    against, assert_clean, assert_no_secrets, emulator, error_line, looks_like_jwt, run,
};
use common::SECRET;

#[test]
fn secret_is_read_from_a_file() {
    let server = emulator();
    let dir = std::env::temp_dir().join(format!("revault-auth-cli-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good");
    let two_newlines = dir.join("two-newlines");
    std::fs::write(&good, format!("{SECRET}\n")).expect("write");
    std::fs::write(&two_newlines, format!("{SECRET}\n\n")).expect("write");
    // Private, as a secret file should be (one open to others is warned of).
    #[cfg(unix)]
    for path in [&good, &two_newlines] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    // The file wins over a wrong secret in the environment.
    let mut command = against(&server, &["token", "--api-key-secret-file"]);
    command
        .arg(&good)
        .env("REVAULT_API_KEY_SECRET", "wrong-env-secret");
    let ok = run(command, Duration::from_secs(20));
    assert_eq!(ok.code(), Some(0), "{}", ok.show());
    assert!(looks_like_jwt(ok.stdout.trim_end()), "{}", ok.show());
    assert_eq!(ok.stdout.lines().count(), 1, "{}", ok.show());
    assert_clean(
        "stderr",
        &ok.stderr,
        &["wrong-env-secret", ok.stdout.trim_end()],
        &ok,
    );

    // Only one trailing newline is trimmed: the second stays part of the
    // secret, which a header cannot carry, so nothing is sent.
    let before = server.token_requests();
    let mut command = against(&server, &["token", "--api-key-secret-file"]);
    command.arg(&two_newlines);
    let refused = run(command, Duration::from_secs(20));
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("control characters"),
        "{}",
        refused.show()
    );
    assert_no_secrets(&refused, &[]);
    assert_eq!(server.token_requests(), before);

    // A file that cannot be read is a usage error, before any traffic.
    let before = server.token_requests();
    let mut command = against(&server, &["token", "--api-key-secret-file"]);
    command.arg(dir.join("missing"));
    let missing = run(command, Duration::from_secs(20));
    assert_eq!(missing.code(), Some(2), "{}", missing.show());
    assert!(
        error_line(&missing).contains("cannot read"),
        "{}",
        missing.show()
    );
    assert_eq!(server.token_requests(), before);

    let _ = std::fs::remove_dir_all(&dir);
}
