//! Redirects are never followed: credentials never reach the redirect
//! target, and an answer from elsewhere is refused.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth::{AuthError, Event};
use revault_auth_mock::{Fault, MockServer, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A listener on another local port that counts connections and answers
/// each with a token-shaped 200, so that following a redirect would "work".
async fn trap() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}/v1/rest/auth/token",
        listener.local_addr().expect("addr")
    );
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let body = r#"{"accessToken":"trap-token","expiresInSeconds":60,"refreshToken":"trap-refresh","refreshExpiresInSeconds":120}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, connections)
}

async fn run(
    redirect: Fault,
    manager: impl FnOnce(&MockServer) -> TokenManager,
) -> (MockServer, Vec<Event>, String) {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    server.push_fault(Target::Token, redirect);
    let manager = manager(&server);
    let mut events = manager.subscribe();
    let token = manager
        .token_owned()
        .await
        .expect("a token from the real server");
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    let jwt = token.secret().expose_secret().to_owned();
    manager.shutdown().await;
    (server, seen, jwt)
}

fn retried_with(events: &[Event], expected: &AuthError) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::RetryScheduled { error, .. } if error == expected))
}

#[tokio::test(flavor = "multi_thread")]
async fn default_client_does_not_follow_a_307() {
    let (target, connections) = trap().await;
    let (server, events, jwt) = run(Fault::redirect(&target), |server| {
        TokenManager::new(config_for(server).build().expect("config")).expect("runtime")
    })
    .await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
    assert!(
        retried_with(&events, &AuthError::UnexpectedStatus { status: 307 }),
        "{events:?}"
    );
    assert!(server.claims(&jwt).is_some());
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_following_client_cannot_replay_the_credentials_on_a_307() {
    let (target, connections) = trap().await;
    let (server, events, jwt) = run(Fault::redirect(&target), |server| {
        let client = reqwest::Client::new(); // follows up to 10 redirects
        TokenManager::with_reqwest_client(config_for(server).build().expect("config"), client)
            .expect("runtime")
    })
    .await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
    assert!(
        retried_with(&events, &AuthError::UnexpectedStatus { status: 307 }),
        "{events:?}"
    );
    assert!(server.claims(&jwt).is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_following_clients_302_on_plain_loopback_is_not_followed() {
    let (target, connections) = trap().await;
    let redirect = Fault::Redirect {
        status: 302,
        location: target,
    };
    let (server, events, jwt) = run(redirect, |server| {
        let client = reqwest::Client::new();
        TokenManager::with_reqwest_client(config_for(server).build().expect("config"), client)
            .expect("runtime")
    })
    .await;
    // Plain http to loopback goes through the transport's own client (no
    // proxy, no redirects), whatever the caller's: the 302 comes back as
    // it is. (Elsewhere, an answer from a redirect the caller's client
    // followed is refused: `exchange` compares the answer's URL.)
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
    assert!(
        retried_with(&events, &AuthError::UnexpectedStatus { status: 302 }),
        "{events:?}"
    );
    assert_ne!(jwt, "trap-token");
    assert!(server.claims(&jwt).is_some());
    assert_eq!(server.token_requests(), 2);
}
