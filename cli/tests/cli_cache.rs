//! `revault-auth token --cache PATH`: a token saved by one run is reused by
//! the next without a request; an expired one is refreshed; the file is
//! private and holds no API key secret; a corrupt file is ignored with one
//! warning and replaced.

mod cli_support;
mod common;

use std::path::PathBuf;
use std::time::Duration;

use cli_support::{against, assert_clean, printed_token, run};
use common::{SECRET, mock_config};
use revault_auth_mock::MockServer;

/// A fresh cache path in a private temporary directory (the store refuses
/// a directory others can write, such as `/tmp` itself), removed with its
/// lock files on drop.
struct CachePath {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl CachePath {
    fn new(test: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("revault-auth-cli-cache-{test}-"))
            .tempdir()
            .expect("a private temporary directory");
        let path = dir.path().join("tokens.json");
        Self { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temporary path")
    }
}

fn token_with_cache(server: &MockServer, cache: &CachePath) -> cli_support::Run {
    run(
        against(server, &["token", "--cache", cache.arg()]),
        Duration::from_secs(20),
    )
}

#[test]
fn two_cached_token_calls_make_one_token_request_and_print_the_same_token() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let cache = CachePath::new("twice");

    let first = token_with_cache(&server, &cache);
    let first_token = printed_token(&first);
    let second = token_with_cache(&server, &cache);
    let second_token = printed_token(&second);

    assert_eq!(first_token, second_token);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);
    for run in [&first, &second] {
        assert_clean("stderr", &run.stderr, &[&first_token], run);
    }
}

#[test]
fn the_cache_file_is_private_and_holds_no_api_key_secret() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let cache = CachePath::new("private");

    let token = printed_token(&token_with_cache(&server, &cache));

    let text = std::fs::read_to_string(&cache.path).expect("the cache file exists");
    assert!(!text.contains(SECRET), "the API key secret in the cache");
    assert!(
        text.contains(&token),
        "the cache holds the token it printed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache.path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}

#[test]
fn an_expired_cache_leads_to_one_refresh_not_a_failure() {
    // 3 s access tokens (usable for 2.7 s), 60 s refresh tokens.
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(3), Duration::from_secs(60)))
            .expect("emulator");
    let cache = CachePath::new("expired");

    let first = printed_token(&token_with_cache(&server, &cache));
    std::thread::sleep(Duration::from_millis(3_200));
    let second = printed_token(&token_with_cache(&server, &cache));

    assert_ne!(first, second, "the expired token is not printed again");
    assert_eq!(server.token_requests(), 1);
    assert_eq!(
        server.refresh_requests(),
        1,
        "the saved refresh token is used"
    );
    // And the refreshed pair was saved: a third run reuses it.
    let third = printed_token(&token_with_cache(&server, &cache));
    assert_eq!(third, second);
    assert_eq!(server.token_requests() + server.refresh_requests(), 2);
}

#[test]
fn a_corrupt_cache_is_ignored_with_one_warning_and_replaced() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let cache = CachePath::new("corrupt");
    std::fs::write(&cache.path, b"{\"format\":1,\"access_token\":\"eyJ-garbage").expect("write");
    // Private, as the store keeps it: a file open to others is refused
    // outright (see cli_planted_token_file.rs), not ignored.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cache.path, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }

    let run = token_with_cache(&server, &cache);
    let token = printed_token(&run);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one warning line\n{}", run.show());
    assert!(
        lines[0].starts_with("warning: ignoring the token cache"),
        "{}",
        run.show()
    );
    assert_clean("stderr", &run.stderr, &[&token], &run);
    assert_eq!(server.token_requests(), 1);

    // Replaced by a good one, reused next time.
    let again = token_with_cache(&server, &cache);
    assert_eq!(printed_token(&again), token);
    assert!(again.stderr.is_empty(), "{}", again.show());
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn concurrent_runs_with_an_expired_cache_spend_the_refresh_token_once() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(3), Duration::from_secs(60)))
            .expect("emulator");
    let cache = CachePath::new("concurrent");
    printed_token(&token_with_cache(&server, &cache));
    std::thread::sleep(Duration::from_millis(3_200));

    let runs: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| printed_token(&token_with_cache(&server, &cache))))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("run"))
            .collect()
    });

    // One run refreshed under the update lock; the others waited and
    // reused what it saved.
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);
    assert!(runs.iter().all(|token| *token == runs[0]), "{runs:?}");
}
