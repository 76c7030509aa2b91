//! A 10 MB answer is refused without being buffered: the failure is
//! `BodyTooLarge`, the next attempt gets a token, and a raw server streaming
//! the body (with a length, or chunked) sees the client hang up long before
//! the end.

use std::time::Duration;

use revault_auth::{AuthError, Event, TokenError, TransportErrorKind};
use revault_auth_mock::{Fault, Target};

use crate::kit::{TEN_MB, config, config_for, drain, eventually, huge_server, server};
use crate::manager::{Manager, Options};

const TOO_LARGE: AuthError = AuthError::Transport(TransportErrorKind::BodyTooLarge);

async fn ten_megabytes_are_refused_and_the_next_attempt_succeeds<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120));
    server.push_fault(Target::Token, Fault::malformed_ok(vec![b' '; TEN_MB]));
    let manager = M::new(config(&server));
    let mut events = manager.subscribe();
    manager.token().await.expect("a token on the next attempt");
    let retries: Vec<_> = drain(&mut events)
        .into_iter()
        .filter_map(|event| match event {
            Event::RetryScheduled { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [TOO_LARGE]);
    assert_eq!(server.token_requests(), 2);
    manager.shutdown().await;
}

async fn a_streamed_body<M: Manager>(chunked: bool) {
    let (url, streamed) = huge_server(chunked);
    // The emulator only lends its account for the configuration.
    let server = server(Duration::from_secs(60), Duration::from_secs(120));
    let config = config_for(&server).api_url(url).build().expect("config");
    let manager = M::build(config, Options::wait(Duration::from_millis(600)));
    match manager.token().await {
        Err(TokenError::TimedOut {
            last_error: Some(error),
            ..
        }) if error == TOO_LARGE => {}
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    manager.shutdown().await;
    assert!(
        eventually(|| streamed.most() > 0).await,
        "the server was asked"
    );
    assert!(!streamed.completed(), "a body was read to its end");
    // Socket buffers take some; the client read 64 KiB and hung up.
    let most = streamed.most();
    assert!(most < TEN_MB / 2, "{most} bytes written on one connection");
}

async fn ten_megabytes_with_a_length_are_not_read<M: Manager>() {
    a_streamed_body::<M>(false).await;
}

async fn ten_chunked_megabytes_are_cut_short<M: Manager>() {
    a_streamed_body::<M>(true).await;
}

every_manager!(
    ten_megabytes_are_refused_and_the_next_attempt_succeeds,
    ten_megabytes_with_a_length_are_not_read,
    ten_chunked_megabytes_are_cut_short,
);
