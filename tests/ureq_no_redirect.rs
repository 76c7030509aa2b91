//! Redirects are never followed, with the default agent or with an agent of
//! the user's that would follow them: nothing reaches the target.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{config_for, mock_config, redirect_trap};
use revault_auth_core::AuthError;
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_ureq::{BlockingTokenManager, Event};

fn run(agent: Option<ureq::Agent>, status: u16) {
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
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let mut builder = BlockingTokenManager::builder(config_for(&server).build().expect("config"))
        .on_event(move |event| sink.lock().expect("events").push(event.clone()));
    if let Some(agent) = agent {
        builder = builder.agent(agent);
    }
    let manager = builder.build();

    let token = manager.token().expect("a token from the real server");
    assert!(server.claims(token.secret().expose_secret()).is_some());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
    assert_eq!(server.token_requests(), 2, "the redirect, then the retry");
    let events = events.lock().expect("events");
    assert!(
        events.iter().any(|event| matches!(
            event,
            Event::RetryScheduled {
                error: AuthError::UnexpectedStatus { status: seen },
                ..
            } if *seen == status
        )),
        "{events:?}"
    );
}

#[test]
fn default_agent_does_not_follow_redirects() {
    for status in [302, 303, 307, 308] {
        run(None, status);
    }
}

#[test]
fn a_following_agent_is_not_allowed_to_follow_redirects() {
    let config = ureq::Agent::config_builder()
        .max_redirects(10)
        .http_status_as_error(true)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    for status in [302, 303, 307, 308] {
        run(Some(agent.clone()), status);
    }
}
