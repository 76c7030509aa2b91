//! A cache file of ours too large to read (as a store that wrote more than
//! it reads could leave) does not stop every later run: `token --cache` is
//! served with a warning, and the file is replaced by one it reads back.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against, emulator, looks_like_jwt, run};
use hostile::arg;
use revault_auth_store::MAX_FILE_BYTES;

#[test]
fn an_oversized_cache_file_is_ignored_with_a_warning_and_replaced() {
    let server = emulator();
    let (_dir, cache) = hostile::private_cache();
    let padding = "x".repeat(300 * 1024);
    std::fs::write(
        &cache,
        format!("{{\"store_format\":2,\"sessions\":[],\"pad\":\"{padding}\"}}"),
    )
    .expect("write");
    hostile::set_mode(&cache, 0o600);

    let first = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "5"],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(first.code(), Some(0), "{}", first.show());
    assert!(looks_like_jwt(first.stdout.trim_end()), "{}", first.show());
    assert!(first.stderr.contains("warning"), "{}", first.show());
    let size = std::fs::metadata(&cache).expect("cache").len();
    assert!(size <= MAX_FILE_BYTES, "{size} bytes");

    // The next run reads it back: no new login, no warning.
    let second = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "5"],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(second.code(), Some(0), "{}", second.show());
    assert!(second.stderr.is_empty(), "{}", second.show());
    assert_eq!(server.token_requests(), 1, "the second run used the cache");
}
