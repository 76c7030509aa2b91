//! `--cache-trust-group`: a cache in a group-writable directory of our own
//! group (a Kubernetes volume) is refused by default, used when trusted.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against, assert_no_traffic, emulator, error_line, looks_like_jwt, run};
use hostile::{arg, set_mode};

#[test]
fn a_cache_in_a_group_writable_directory_of_our_group_needs_cache_trust_group() {
    let server = emulator();
    let dir = tempfile::tempdir().expect("dir");
    set_mode(dir.path(), 0o2770);
    let cache = dir.path().join("tok.json");

    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    let line = error_line(&refused);
    assert!(line.contains("writable by group"), "{}", refused.show());
    assert!(line.contains("--cache-trust-group"), "{}", refused.show());
    assert_no_traffic(&server);

    let trusted = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--cache-trust-group"],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(trusted.code(), Some(0), "{}", trusted.show());
    let printed = trusted.stdout.clone();
    assert!(looks_like_jwt(printed.trim_end()), "{}", trusted.show());
    assert_eq!(server.token_requests(), 1);
    let saved = std::fs::read_to_string(&cache).expect("the cache was saved");
    assert!(saved.contains(printed.trim_end()));
}
