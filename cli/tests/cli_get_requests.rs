//! `get` as scripts use it: `-X METHOD`, `-d DATA` (`@file`, `-` for
//! stdin) and repeatable `-H 'Name: value'` reach the server as sent (an
//! `Authorization` override is refused); `Retry-After` on 420/429/503 is
//! waited out within `--deadline`, and beyond it the run gives up (exit 4).

mod cli_support;
mod common;
mod hostile;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cli_support::{against_url, bare, error_line, run, run_with_input};
use hostile::{Answer, Request, SCRIPTED_ACCESS_TOKEN, Scripted, arg, json_answer, token_answer};

/// Tokens on `/auth/token`; `/things` answered by `things` with the call
/// number (0 first).
fn scripted(things: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Scripted {
    let calls = Arc::new(AtomicUsize::new(0));
    Scripted::start(move |request| {
        if request.path.contains("/auth/token") {
            token_answer()
        } else {
            things(calls.fetch_add(1, Ordering::SeqCst))
        }
    })
}

fn things(server: &Scripted) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/things"))
        .collect()
}

fn ok() -> Answer {
    json_answer("200 OK", r#"{"done":true}"#.to_owned())
}

#[test]
fn post_with_data_from_a_file_and_headers_reaches_the_server_as_sent() {
    let server = scripted(|_| ok());
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("body.json");
    let body = b"{\"name\": \"a, b\"}\n";
    std::fs::write(&data, body).expect("write");
    let at_file = format!("@{}", arg(&data));
    let done = run(
        against_url(
            &server.base_url,
            &[
                "get",
                "-X",
                "POST",
                "-d",
                &at_file,
                "-H",
                "Content-Type: application/json",
                "-H",
                "X-Request-Id:  abc-123",
                "/things",
            ],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(done.code(), Some(0), "{}", done.show());
    assert_eq!(done.stdout.trim_end(), r#"{"done":true}"#);
    let sent = things(&server);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].body, body);
    assert_eq!(sent[0].header("content-type"), Some("application/json"));
    assert_eq!(sent[0].header("x-request-id"), Some("abc-123"));
    let bearer = format!("Bearer {SCRIPTED_ACCESS_TOKEN}");
    assert_eq!(sent[0].header("authorization"), Some(bearer.as_str()));
}

#[test]
fn data_from_standard_input_is_sent_with_the_method_given() {
    let server = scripted(|_| ok());
    let done = run_with_input(
        against_url(
            &server.base_url,
            &["get", "-X", "PUT", "-d", "-", "/things"],
        ),
        b"from stdin",
        Duration::from_secs(20),
    );
    assert_eq!(done.code(), Some(0), "{}", done.show());
    let sent = things(&server);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].method.as_str(), sent[0].body.as_slice()),
        ("PUT", &b"from stdin"[..])
    );
}

#[test]
fn an_authorization_header_override_is_refused_before_any_traffic() {
    let server = scripted(|_| ok());
    let refused = run(
        against_url(
            &server.base_url,
            &["get", "-H", "authorization: Bearer mine", "/things"],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("Authorization"),
        "{}",
        refused.show()
    );
    assert!(!refused.stderr.contains("mine"), "{}", refused.show());
    assert!(server.requests().is_empty());
}

#[test]
fn a_429_with_retry_after_1_is_waited_out_then_the_answer_printed() {
    let server = scripted(|call| match call {
        0 => (
            "429 Too Many Requests",
            vec!["retry-after: 1".to_owned()],
            String::new(),
        ),
        _ => ok(),
    });
    let done = run(
        against_url(&server.base_url, &["get", "/things", "--deadline", "10"]),
        Duration::from_secs(20),
    );
    assert_eq!(done.code(), Some(0), "{}", done.show());
    let sent = things(&server);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let spacing = sent[1].at.duration_since(sent[0].at);
    assert!(
        spacing >= Duration::from_secs(1),
        "retried after {spacing:?}"
    );
}

#[test]
fn a_retry_after_beyond_the_deadline_gives_up_with_exit_4() {
    let server = scripted(|_| {
        (
            "503 Service Unavailable",
            vec!["retry-after: 60".to_owned()],
            String::new(),
        )
    });
    let refused = run(
        against_url(&server.base_url, &["get", "/things", "--deadline", "3"]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(4), "{}", refused.show());
    assert!(
        error_line(&refused).contains("Retry-After"),
        "{}",
        refused.show()
    );
    assert_eq!(
        things(&server).len(),
        1,
        "no request after the server's wait was known to be too long"
    );
    assert!(
        refused.elapsed < Duration::from_secs(3),
        "{}",
        refused.show()
    );
}

#[test]
fn help_lists_the_exit_codes() {
    for args in [&["--help"][..], &["get", "--help"], &["token", "--help"]] {
        let help = run(bare(args), Duration::from_secs(20));
        assert_eq!(help.code(), Some(0), "{}", help.show());
        assert!(
            help.stdout.contains("Exit codes:"),
            "{args:?}: {}",
            help.show()
        );
        assert!(
            help.stdout.contains("4  gave up"),
            "{args:?}: {}",
            help.show()
        );
    }
}

#[test]
fn a_post_answered_401_invalid_token_is_sent_again_whole_with_a_new_token() {
    let server = scripted(|call| match call {
        0 => (
            "401 Unauthorized",
            vec![r#"www-authenticate: Basic realm="x", Bearer error="invalid_token""#.to_owned()],
            String::new(),
        ),
        _ => ok(),
    });
    let done = run(
        against_url(
            &server.base_url,
            &["get", "-d", "payload, with a comma", "/things"],
        ),
        Duration::from_secs(20),
    );
    assert_eq!(done.code(), Some(0), "{}", done.show());
    let sent = things(&server);
    assert_eq!(sent.len(), 2, "{sent:?}");
    for request in &sent {
        assert_eq!(request.method, "POST");
        assert_eq!(request.body, b"payload, with a comma");
    }
    let token_requests = server
        .requests()
        .iter()
        .filter(|request| request.path.contains("/auth/token"))
        .count();
    assert_eq!(token_requests, 2, "the 401 withdrew the token");
}
