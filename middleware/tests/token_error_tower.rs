//! When no token can be had (here: the API key is rejected), the tower
//! service fails with a typed `AuthServiceError::Token` and sends nothing.

mod common;

use std::time::Duration;

use common::{SECRET, config, get, hyper_client, server};
use revault_auth_core::{AuthError, TokenError};
use revault_auth_middleware::{AuthLayer, AuthServiceError};
use revault_auth_tokio::TokenManager;
use tower::{ServiceBuilder, ServiceExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_api_key_surfaces_as_a_typed_token_error() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120)).await;
    let wrong = "mw-wrong-secret-9d1c";
    let manager = TokenManager::new(config(&server, wrong)).expect("runtime");
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(manager))
        .service(hyper_client());

    let error = service
        .oneshot(get(&server.url("/accounts")))
        .await
        .expect_err("no token");
    match &error {
        AuthServiceError::Token(TokenError::Failed(AuthError::CredentialsRejected {
            status: 401,
            ..
        })) => {}
        other => panic!("unexpected error: {other:?}"),
    }
    assert_eq!(
        server.protected_requests(),
        0,
        "nothing sent without a token"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
}
