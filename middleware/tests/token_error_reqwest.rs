//! When no token can be had (here: the API key is rejected), the reqwest
//! middleware returns the `TokenError` inside `Error::Middleware`.

mod common;

use std::time::Duration;

use common::{SECRET, config, server};
use revault_auth_core::{AuthError, TokenError};
use revault_auth_middleware::{AuthMiddleware, reqwest_middleware};
use revault_auth_tokio::TokenManager;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_api_key_surfaces_as_a_token_error() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let wrong = "mw-wrong-secret-4e7a";
    let manager = TokenManager::new(config(&server, wrong)).expect("runtime");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(manager))
        .build();

    let error = client
        .get(server.url("/accounts"))
        .send()
        .await
        .expect_err("no token");
    let reqwest_middleware::Error::Middleware(inner) = &error else {
        panic!("not a middleware error: {error:?}");
    };
    assert!(
        matches!(
            inner.downcast_ref::<TokenError>(),
            Some(TokenError::Failed(AuthError::CredentialsRejected { .. }))
        ),
        "{inner:?}"
    );
    assert_eq!(
        server.protected_requests(),
        0,
        "nothing sent without a token"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
}
