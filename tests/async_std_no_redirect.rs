//! Redirects are never followed, with the default agent or with an agent of
//! the user's that would follow them: nothing reaches the target.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{config_for, mock_config, redirect_trap};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_core::AuthError;
use revault_auth_mock::{Fault, MockServer, Target};

async fn run(agent: Option<ureq::Agent>, status: u16) {
    let (target, connections) = redirect_trap();
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    server.push_fault(
        Target::Token,
        Fault::Redirect {
            status,
            location: target,
        },
    );
    let config = config_for(&server).build().expect("config");
    let manager = match agent {
        Some(agent) => TokenManager::with_agent(config, agent),
        None => TokenManager::new(config),
    }
    .expect("manager");
    let mut events = manager.subscribe();

    let token = manager
        .token_owned()
        .await
        .expect("a token from the real server");
    assert!(server.claims(token.secret().expose_secret()).is_some());
    async_std::task::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
    assert_eq!(server.token_requests(), 2, "the redirect, then the retry");
    let mut retried = false;
    while let Ok(event) = events.try_recv() {
        retried |= matches!(
            event,
            Event::RetryScheduled {
                error: AuthError::UnexpectedStatus { status: seen },
                ..
            } if seen == status
        );
    }
    assert!(retried);
    manager.shutdown().await;
}

#[test]
fn default_agent_does_not_follow_redirects() {
    async_std::task::block_on(async {
        for status in [302, 303, 307, 308] {
            run(None, status).await;
        }
    });
}

#[test]
fn a_following_agent_is_not_allowed_to_follow_redirects() {
    let config = ureq::Agent::config_builder()
        .max_redirects(10)
        .http_status_as_error(true)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    async_std::task::block_on(async {
        for status in [302, 303, 307, 308] {
            run(Some(agent.clone()), status).await;
        }
    });
}
