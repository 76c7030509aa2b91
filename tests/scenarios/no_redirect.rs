//! Redirects are never followed with the credentials: with the adapter's
//! own client or with a client of the user's that follows redirects, the
//! redirect target never receives the API key secret; a 3xx is retried,
//! an answer from elsewhere is refused, and the token served is the
//! emulator's.

use std::time::Duration;

use revault_auth::{AuthError, Event, TransportErrorKind};
use revault_auth_mock::{Fault, Target};

use crate::kit::{SECRET, config, drain, redirect_trap, server, sleep};
use crate::manager::{Manager, Options, Via};

async fn redirected<M: Manager>(status: u16, via: Via) {
    let (target, trap) = redirect_trap();
    let server = server(Duration::from_secs(300), Duration::from_secs(1800));
    let location = target;
    server.push_fault(Target::Token, Fault::Redirect { status, location });
    let own_client = matches!(via, Via::Default);
    let manager = M::build(config(&server), Options::via(via));
    let mut events = manager.subscribe();

    let token = manager.token().await.expect("a token from the emulator");
    assert!(server.claims(token.secret().expose_secret()).is_some());
    assert_eq!(server.token_requests(), 2, "the redirect, then the retry");
    sleep(Duration::from_millis(50)).await;
    assert!(
        !trap.saw(SECRET),
        "the credentials reached the target ({status})"
    );
    if own_client {
        assert_eq!(
            trap.connections(),
            0,
            "nothing reached the target ({status})"
        );
    }
    // Following is refused (a client that followed a 302 or 303 sent a GET
    // with no body, and its answer was not taken).
    let expected = match trap.connections() {
        0 => AuthError::UnexpectedStatus { status },
        _ => AuthError::Transport(TransportErrorKind::Other),
    };
    let retried = drain(&mut events).into_iter().any(
        |event| matches!(event, Event::RetryScheduled { ref error, .. } if *error == expected),
    );
    assert!(retried, "no retry after {expected:?}");
    manager.shutdown().await;
}

async fn the_default_client_does_not_follow_redirects<M: Manager>() {
    for status in [302, 303, 307, 308] {
        redirected::<M>(status, Via::Default).await;
    }
}

async fn a_following_client_never_replays_the_credentials<M: Manager>() {
    for status in [302, 303, 307, 308] {
        redirected::<M>(status, Via::FollowingClient).await;
    }
}

every_manager!(
    the_default_client_does_not_follow_redirects,
    a_following_client_never_replays_the_credentials,
);
