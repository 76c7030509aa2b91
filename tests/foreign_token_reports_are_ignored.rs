//! A 401 reported to the wrong manager: every manager counts its tokens'
//! generations from 1, so another manager's token (the manager it replaced,
//! another workspace's, a generic 401 handler holding the wrong manager)
//! carries a generation this one also uses or will use. Reported to manager
//! A, manager B's tokens (one of A's generation, one newer) change nothing:
//! A keeps serving its token, which its emulator still accepts, and A's
//! emulator sees no new token request. A's own token, even reported through
//! a copy, is still withdrawn and replaced.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth_core::AccessToken;
use revault_auth_mock::MockServer;

fn emulator() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator")
}

/// What a manager's emulator was asked for tokens (first and refreshes).
fn token_requests(server: &MockServer) -> usize {
    server.token_requests() + server.refresh_requests()
}

/// A call to a protected route of `server` with `token`: its status.
fn call(server: &MockServer, token: &AccessToken) -> u16 {
    ureq::get(server.url("/vaults"))
        .header("authorization", token.header_value().clone())
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("protected call")
        .status()
        .as_u16()
}

/// The reports about B's tokens as A answered them: none was A's served
/// token.
fn assert_not_served(answers: [bool; 2]) {
    assert_eq!(
        answers,
        [false, false],
        "a foreign token was taken for the served one"
    );
}

#[test]
fn tokio_manager_ignores_reports_about_another_managers_tokens() {
    use revault_auth::tokio::TokenManager;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (server_a, server_b) = (emulator(), emulator());
        let a = TokenManager::new(config_for(&server_a).build().expect("config")).expect("a");
        let b = TokenManager::new(config_for(&server_b).build().expect("config")).expect("b");
        let own = a.token_owned().await.expect("A's token");
        let same_generation = b.token_owned().await.expect("B's first token");
        assert_eq!(same_generation.generation(), own.generation());
        let mut newer = Arc::clone(&same_generation);
        for _ in 0..2 {
            assert!(b.invalidate(&newer));
            newer = b.token_owned().await.expect("B's next token");
        }
        assert!(newer.generation() > own.generation());

        let answers = [a.invalidate(&same_generation), a.invalidate(&newer)];
        // A command answered by A's task: the reports before it were handled.
        drop(a.export().await);

        let served = a.try_token().expect("A serves its token still");
        assert_eq!(
            served.secret().expose_secret(),
            own.secret().expose_secret()
        );
        assert_eq!(call(&server_a, &served), 200);
        assert_eq!(token_requests(&server_a), 1, "A asked for another token");
        assert_not_served(answers);

        // A's own token, reported through a copy, is A's to withdraw.
        let copy = AccessToken::clone(&own);
        assert!(a.invalidate(&copy), "A's own token was not recognised");
        let next = a.token_owned().await.expect("A's next token");
        assert!(next.generation() > own.generation());
        assert_eq!(token_requests(&server_a), 2);
    });
}

#[test]
fn async_std_manager_ignores_reports_about_another_managers_tokens() {
    use revault_auth::async_std::TokenManager;

    async_std::task::block_on(async {
        let (server_a, server_b) = (emulator(), emulator());
        let a = TokenManager::new(config_for(&server_a).build().expect("config")).expect("a");
        let b = TokenManager::new(config_for(&server_b).build().expect("config")).expect("b");
        let own = a.token_owned().await.expect("A's token");
        let same_generation = b.token_owned().await.expect("B's first token");
        assert_eq!(same_generation.generation(), own.generation());
        let mut newer = Arc::clone(&same_generation);
        for _ in 0..2 {
            assert!(b.invalidate(&newer));
            newer = b.token_owned().await.expect("B's next token");
        }
        assert!(newer.generation() > own.generation());

        let answers = [a.invalidate(&same_generation), a.invalidate(&newer)];
        // A command answered by A's task: the reports before it were handled.
        drop(a.export().await);

        let served = a.try_token().expect("A serves its token still");
        assert_eq!(
            served.secret().expose_secret(),
            own.secret().expose_secret()
        );
        assert_eq!(call(&server_a, &served), 200);
        assert_eq!(token_requests(&server_a), 1, "A asked for another token");
        assert_not_served(answers);

        let copy = AccessToken::clone(&own);
        assert!(a.invalidate(&copy), "A's own token was not recognised");
        let next = a.token_owned().await.expect("A's next token");
        assert!(next.generation() > own.generation());
        assert_eq!(token_requests(&server_a), 2);
    });
}

#[test]
fn ureq_manager_ignores_reports_about_another_managers_tokens() {
    use revault_auth::ureq::BlockingTokenManager;

    let (server_a, server_b) = (emulator(), emulator());
    let a = BlockingTokenManager::new(config_for(&server_a).build().expect("config")).expect("a");
    let b = BlockingTokenManager::new(config_for(&server_b).build().expect("config")).expect("b");
    let own = a.token_owned().expect("A's token");
    let same_generation = b.token_owned().expect("B's first token");
    assert_eq!(same_generation.generation(), own.generation());
    let mut newer = Arc::clone(&same_generation);
    for _ in 0..2 {
        assert!(b.invalidate(&newer));
        newer = b.token_owned().expect("B's next token");
    }
    assert!(newer.generation() > own.generation());

    // The blocking manager hands reports to its core before returning.
    let answers = [a.invalidate(&same_generation), a.invalidate(&newer)];

    let served = a.try_token().expect("A serves its token still");
    assert_eq!(
        served.secret().expose_secret(),
        own.secret().expose_secret()
    );
    assert_eq!(call(&server_a, &served), 200);
    assert_eq!(token_requests(&server_a), 1, "A asked for another token");
    assert_not_served(answers);

    let copy = AccessToken::clone(&own);
    assert!(a.invalidate(&copy), "A's own token was not recognised");
    let next = a.token_owned().expect("A's next token");
    assert!(next.generation() > own.generation());
    assert_eq!(token_requests(&server_a), 2);
}
