//! A secret file too large to be a secret (100 MB) or a FIFO is a usage
//! error (exit 2), at once and before any traffic: cut silently at 64 KiB
//! the secret would be sent wrong and refused by the server (exit 3), and a
//! FIFO with no writer would block forever.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{
    Run, against, assert_no_secrets, assert_no_traffic, emulator, error_line, run, run_with_input,
};
use hostile::arg;
use revault_auth_mock::MockServer;

/// Exit 2 with an error line that says `says`, and the server never asked.
fn assert_usage_error_before_any_traffic(refused: &Run, says: &str, server: &MockServer) {
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(error_line(refused).contains(says), "{}", refused.show());
    assert_no_traffic(server);
}

#[test]
fn a_100_mb_secret_file_is_a_usage_error_not_cut_and_sent() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("directory");
    let secret = dir.path().join("secret");
    // Printable for its first 64 KiB and more, so that a cut at 64 KiB
    // would send a well-formed secret; sparse after that.
    std::fs::write(&secret, vec![b'k'; 64 * 1024 + 16]).expect("write");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&secret)
        .expect("open");
    file.set_len(100 * 1024 * 1024).expect("a 100 MB file");
    let refused = run(
        against(&server, &["token", "--api-key-secret-file", arg(&secret)]),
        Duration::from_secs(20),
    );
    assert_usage_error_before_any_traffic(&refused, "larger than 64 KiB", &server);
}

#[test]
fn more_than_64_kib_on_stdin_is_a_usage_error() {
    let server = emulator();
    let input = vec![b'k'; 64 * 1024 + 1];
    let refused = run_with_input(
        against(&server, &["token", "--api-key-secret-file", "-"]),
        &input,
        Duration::from_secs(20),
    );
    assert_usage_error_before_any_traffic(&refused, "larger than 64 KiB", &server);
}

#[test]
fn a_fifo_secret_file_is_refused_without_blocking() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("directory");
    let fifo = dir.path().join("secret.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let refused = run(
        against(
            &server,
            &[
                "token",
                "--api-key-secret-file",
                arg(&fifo),
                "--deadline",
                "2",
            ],
        ),
        Duration::from_secs(10),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("not a regular file"),
        "{}",
        refused.show()
    );
    assert!(
        refused.elapsed < Duration::from_secs(2),
        "{}",
        refused.show()
    );
    eprintln!(
        "figure: a FIFO secret file refused in {:?}",
        refused.elapsed
    );
    assert_no_secrets(&refused, &[]);
    assert_no_traffic(&server);
}
