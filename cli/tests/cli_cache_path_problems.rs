//! What each command does when its cache path cannot be used as asked:
//! `watch` refuses a cache path the store refuses, exactly as `token` and
//! `get` do (exit 2, the reason on stderr), instead of running silently
//! unshared; and a cache directory this user cannot write to costs the
//! sharing, not the token: `token` prints one and warns.

mod cli_support;
mod common;
mod hostile;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use cli_support::{against, assert_no_traffic, error_line, looks_like_jwt, run};
use common::mock_config;
use hostile::{arg, set_mode};
use revault_auth_mock::MockServer;

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator")
}

#[test]
fn watch_refuses_a_cache_file_open_to_others_like_token_and_get() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    std::fs::write(&cache, b"{}").expect("write");
    set_mode(&cache, 0o644);

    for command in ["watch", "token", "get"] {
        let mut args = vec![command, "--cache", arg(&cache)];
        match command {
            "watch" => args.extend(["--duration", "3"]),
            "get" => args.push("/accounts"),
            _ => {}
        }
        let refused = run(against(&server, &args), Duration::from_secs(20));
        assert_eq!(refused.code(), Some(2), "{command}: {}", refused.show());
        let line = error_line(&refused);
        assert!(
            line.contains("open to group or others"),
            "{command}: {line}"
        );
    }
    assert_no_traffic(&server);
}

#[test]
fn watch_refuses_a_cache_in_a_missing_directory() {
    let server = server();
    let (dir, _) = hostile::private_cache();
    let cache = dir.path().join("missing").join("tokens.json");

    let refused = run(
        against(
            &server,
            &["watch", "--cache", arg(&cache), "--duration", "3"],
        ),
        Duration::from_secs(20),
    );

    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(!error_line(&refused).is_empty(), "{}", refused.show());
    assert_no_traffic(&server);
}

/// The uid a child runs as to meet a directory it cannot write: as root
/// (who writes anywhere) the unprivileged `nobody`, otherwise ourselves.
fn unprivileged(dir: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let ours = std::fs::metadata(dir).expect("our directory").uid();
    (ours == 0).then_some(65534)
}

#[test]
fn a_read_only_cache_directory_still_gets_a_token_with_a_warning() {
    let server = server();
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("tokens.json");
    let uid = unprivileged(dir.path());
    if let Some(uid) = uid {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(uid)).expect("chown");
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500))
        .expect("read-only directory");

    let mut command = against(
        &server,
        &["token", "--cache", arg(&cache), "--deadline", "10"],
    );
    if let Some(uid) = uid {
        command.uid(uid).gid(uid);
    }
    let served = run(command, Duration::from_secs(30));

    assert_eq!(served.code(), Some(0), "{}", served.show());
    assert!(looks_like_jwt(served.stdout.trim()), "{}", served.show());
    assert!(served.stderr.contains("warning"), "{}", served.show());
    assert_eq!(
        server.token_requests(),
        1,
        "one login for the token printed"
    );
    assert!(!cache.exists(), "nothing could be written there");
}
