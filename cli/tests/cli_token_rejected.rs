//! `token --cache PATH --rejected -`: a script tells the CLI which token
//! revault-api refused (on standard input, never on the command line); the
//! CLI drops it, prints a new one, and the cache keeps the new one, so the
//! next run never sends the refused token again.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against, emulator, error_line, looks_like_jwt, run, run_with_input};
use hostile::{arg, private_cache};

#[test]
fn a_rejected_token_is_dropped_replaced_and_never_sent_again() {
    let server = emulator();
    let (_dir, cache) = private_cache();
    let first = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(first.code(), Some(0), "{}", first.show());
    let refused = first.stdout.trim_end().to_owned();
    server.revoke_access_token(&refused);

    let replaced = run_with_input(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--rejected", "-"],
        ),
        format!("{refused}\n").as_bytes(),
        Duration::from_secs(20),
    );
    assert_eq!(replaced.code(), Some(0), "{}", replaced.show());
    let fresh = replaced.stdout.trim_end().to_owned();
    assert!(looks_like_jwt(&fresh), "{}", replaced.show());
    assert_ne!(fresh, refused, "the refused token was printed again");
    let saved = std::fs::read_to_string(&cache).expect("cache");
    assert!(saved.contains(&fresh), "the cache keeps the new token");
    assert!(
        !saved.contains(&refused),
        "the cache still holds the refused token"
    );

    // The next run uses the cache: the emulator never sees the refused
    // token (it would answer 401 to it).
    let protected_before = server.protected_requests();
    let used = run(
        against(&server, &["get", "--cache", arg(&cache), "/accounts"]),
        Duration::from_secs(20),
    );
    assert_eq!(used.code(), Some(0), "{}", used.show());
    // One request: the refused token would have drawn a 401 and a retry.
    assert_eq!(
        server.protected_requests() - protected_before,
        1,
        "{}",
        used.show()
    );
    assert!(
        !replaced.stderr.contains(&refused) && !replaced.stderr.contains(&fresh),
        "{}",
        replaced.show()
    );
}

#[test]
fn a_rejected_token_on_the_command_line_is_refused_without_echo() {
    let server = emulator();
    let (_dir, cache) = private_cache();
    let typed = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    let refused = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--rejected", typed],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(!refused.stderr.contains(typed), "{}", refused.show());
    assert!(
        error_line(&refused).contains("standard input"),
        "{}",
        refused.show()
    );
    assert_eq!(server.token_requests(), 0);
}
