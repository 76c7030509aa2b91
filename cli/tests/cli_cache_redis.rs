//! `--cache redis://...`: `token`, `get` and `watch` share one session
//! through a real `redis-server` (started per test on a free loopback
//! port, with a password), as they do through a cache file. The emulator's
//! log is the oracle; the Redis password never reaches stdout or stderr.
//! Skipped with a message when `redis-server` is missing (failed when
//! `REVAULT_REQUIRE_REDIS` is set).

mod cli_support;
mod common;

use std::io::Write;
use std::time::Duration;

use cli_support::{Run, against, assert_no_secrets, error_line, looks_like_jwt, run};
use common::mock_config;
use common::redis::{REDIS_PASSWORD, RedisServer, free_port};
use revault_auth_mock::MockServer;

const LIMIT: Duration = Duration::from_secs(30);

fn emulator(access: Duration) -> MockServer {
    MockServer::start_background(mock_config(access, Duration::from_secs(600))).expect("emulator")
}

/// Neither stream holds the Redis password, a token or the API secret.
fn assert_no_password(run: &Run) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(REDIS_PASSWORD),
            "the Redis password in {name}\n{}",
            run.show()
        );
    }
}

fn token(run: &Run) -> &str {
    let token = run.stdout.strip_suffix('\n').unwrap_or_default();
    assert!(looks_like_jwt(token), "{}", run.show());
    token
}

#[test]
fn two_token_runs_share_one_session_through_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = emulator(Duration::from_secs(60));
    let url = redis.url();

    let first = run(against(&server, &["token", "--cache", &url]), LIMIT);
    let second = run(against(&server, &["token", "--cache", &url]), LIMIT);

    for run in [&first, &second] {
        assert_eq!(run.code(), Some(0), "{}", run.show());
        assert!(run.stderr.is_empty(), "{}", run.show());
        assert_no_password(run);
    }
    assert_eq!(
        token(&first),
        token(&second),
        "the second run used the saved token"
    );
    assert_eq!(server.token_requests(), 1, "one login for both runs");
    assert_eq!(server.refresh_requests(), 0);
}

#[test]
fn get_uses_the_token_saved_in_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = emulator(Duration::from_secs(60));
    let url = redis.url();

    let first = run(against(&server, &["token", "--cache", &url]), LIMIT);
    let get = run(
        against(&server, &["get", "/accounts", "--cache", &url]),
        LIMIT,
    );

    assert_eq!(first.code(), Some(0), "{}", first.show());
    assert_eq!(get.code(), Some(0), "{}", get.show());
    assert!(get.stderr.is_empty(), "{}", get.show());
    assert_no_secrets(&get, &[REDIS_PASSWORD]);
    assert_eq!(server.protected_requests(), 1);
    assert_eq!(server.token_requests(), 1, "get sent no login of its own");
}

#[test]
fn watch_with_a_redis_cache_prints_tokens_from_the_shared_session() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = emulator(Duration::from_secs(2));
    let url = redis.url();

    let first = run(against(&server, &["token", "--cache", &url]), LIMIT);
    let watch = run(
        against(&server, &["watch", "--cache", &url, "--duration", "3"]),
        LIMIT,
    );

    assert_eq!(first.code(), Some(0), "{}", first.show());
    assert_eq!(watch.code(), Some(0), "{}", watch.show());
    let events: Vec<String> = watch
        .stdout
        .lines()
        .map(|line| {
            let line: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|_| panic!("JSON: {line}"));
            line["event"].as_str().expect("event").to_owned()
        })
        .collect();
    // Its `restored` event may go out before watch subscribes; a login
    // of its own would show as `authenticated`.
    assert!(
        !events.iter().any(|event| event == "authenticated"),
        "{}",
        watch.show()
    );
    assert!(
        events.iter().any(|event| event == "refreshed"),
        "{}",
        watch.show()
    );
    assert_eq!(
        server.token_requests(),
        1,
        "watch started from the saved session"
    );
    assert_no_secrets(&watch, &[REDIS_PASSWORD]);
}

#[test]
fn the_password_file_is_read_and_never_shown() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = emulator(Duration::from_secs(60));
    let dir = tempfile::tempdir().expect("a private directory");
    let file = dir.path().join("redis-password");
    let mut written = std::fs::File::create(&file).expect("password file");
    writeln!(written, "{REDIS_PASSWORD}").expect("written");

    let mut command = against(&server, &["-v", "token", "--cache", &redis.bare_url()]);
    command.env("REVAULT_REDIS_PASSWORD_FILE", &file);
    let first = run(command, LIMIT);
    let second = run(against(&server, &["token", "--cache", &redis.url()]), LIMIT);

    assert_eq!(first.code(), Some(0), "{}", first.show());
    assert_no_password(&first);
    assert_eq!(
        token(&first),
        token(&second),
        "saved through the password file"
    );
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn a_wrong_redis_password_is_exit_2_and_never_shown() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = emulator(Duration::from_secs(60));
    let wrong = "zz-wrong-redis-password-90ab";
    let url = format!("redis://:{wrong}@127.0.0.1:{}/0", redis.port());

    let run = run(against(&server, &["-v", "token", "--cache", &url]), LIMIT);

    assert_eq!(run.code(), Some(2), "{}", run.show());
    assert!(!run.stderr.contains(wrong), "{}", run.show());
    assert!(!run.stdout.contains(wrong), "{}", run.show());
    assert_no_password(&run);
    assert_eq!(server.token_requests(), 0, "nothing sent");
}

#[test]
fn plain_redis_off_this_host_is_refused_with_exit_2() {
    let server = emulator(Duration::from_secs(60));

    let run = run(
        against(
            &server,
            &[
                "token",
                "--cache",
                &format!("redis://:{REDIS_PASSWORD}@192.0.2.7:6379/0"),
            ],
        ),
        LIMIT,
    );

    assert_eq!(run.code(), Some(2), "{}", run.show());
    assert!(error_line(&run).contains("rediss://"), "{}", run.show());
    assert_no_password(&run);
    assert_eq!(server.token_requests(), 0, "nothing sent");
}

#[test]
fn an_unreachable_redis_is_one_warning_and_the_run_goes_on_alone() {
    let server = emulator(Duration::from_secs(60));
    let url = format!("redis://:{REDIS_PASSWORD}@127.0.0.1:{}/0", free_port());

    for args in [
        vec!["token", "--cache", &url],
        vec!["get", "/accounts", "--cache", &url],
    ] {
        let run = run(against(&server, &args), LIMIT);

        assert_eq!(run.code(), Some(0), "{}", run.show());
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one warning\n{}", run.show());
        assert!(lines[0].starts_with("warning: "), "{}", run.show());
        assert_no_password(&run);
    }
    assert_eq!(server.token_requests(), 2, "each run alone");
}

#[test]
fn a_malformed_redis_url_is_exit_2_and_never_shows_the_password() {
    let server = emulator(Duration::from_secs(60));

    for url in [
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:notaport/0"),
        format!("rediss://:{REDIS_PASSWORD}@127.0.0.1:6379/0#insecure"),
        format!("redis://:{REDIS_PASSWORD}@[::1/0"),
    ] {
        let run = run(against(&server, &["-v", "watch", "--cache", &url]), LIMIT);

        assert_eq!(run.code(), Some(2), "{}", run.show());
        error_line(&run);
        assert_no_password(&run);
    }
    assert_eq!(server.token_requests(), 0, "nothing sent");
}
