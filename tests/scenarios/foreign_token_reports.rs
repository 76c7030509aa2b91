//! A 401 reported to the wrong manager: every manager counts its tokens'
//! generations from 1, so another manager's token (the manager it replaced,
//! another workspace's, a generic 401 handler holding the wrong manager)
//! carries a generation this one also uses or will use. Reported to
//! manager A, manager B's tokens (one of A's generation, one newer) change
//! nothing: A keeps serving its token, which its emulator still accepts,
//! and A's emulator sees no new token request. A's own token, even
//! reported through a copy, is still withdrawn and replaced.

use std::time::Duration;

use revault_auth::AccessToken;

use crate::kit::{accepted, auth_requests, config, server};
use crate::manager::Manager;

async fn reports_about_another_managers_tokens_change_nothing<M: Manager>() {
    let (server_a, server_b) = (
        server(Duration::from_secs(300), Duration::from_secs(1800)),
        server(Duration::from_secs(300), Duration::from_secs(1800)),
    );
    let (a, b) = (M::new(config(&server_a)), M::new(config(&server_b)));
    let own = a.token().await.expect("A's token");
    let same_generation = b.token().await.expect("B's first token");
    assert_eq!(same_generation.generation(), own.generation());
    let mut newer = same_generation.clone();
    for _ in 0..2 {
        assert!(b.invalidate(&newer));
        newer = b.token().await.expect("B's next token");
    }
    assert!(newer.generation() > own.generation());

    let answers = [a.invalidate(&same_generation), a.invalidate(&newer)];
    // A command answered by A's driver: the reports before it were handled.
    drop(a.export().await);

    assert_eq!(answers, [false, false], "a foreign token taken for A's");
    let served = a.try_token().expect("A serves its token still");
    assert_eq!(
        served.secret().expose_secret(),
        own.secret().expose_secret()
    );
    assert!(accepted(&server_a, &served));
    assert_eq!(auth_requests(&server_a), 1, "A asked for another token");

    // A's own token, reported through a copy, is A's to withdraw.
    let copy = AccessToken::clone(&own);
    assert!(a.invalidate(&copy), "A's own token was not recognised");
    let next = a.token().await.expect("A's next token");
    assert!(next.generation() > own.generation());
    assert_eq!(auth_requests(&server_a), 2);
    a.shutdown().await;
    b.shutdown().await;
}

every_manager!(reports_about_another_managers_tokens_change_nothing);
