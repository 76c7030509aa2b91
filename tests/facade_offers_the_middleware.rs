//! The facade's `middleware` feature: a service on tokio and reqwest
//! needs one crate for the manager and the client that carries its token.

use std::sync::Arc;

use revault_auth::middleware::AuthMiddleware;
use revault_auth::tokio::TokenManager;
use revault_auth::{ApiKeySecret, Config};
use revault_auth_mock::{MockConfig, MockServer};

#[tokio::test]
async fn the_facade_middleware_puts_the_token_on_api_requests() {
    let mock = MockConfig::default();
    let (workspace, key_id, secret) = (
        mock.workspace.clone(),
        mock.api_key_id.clone(),
        mock.api_key_secret.clone(),
    );
    let server = MockServer::start(mock).await.expect("emulator");
    let config = Config::builder(
        server.base_url(),
        workspace,
        key_id,
        ApiKeySecret::new(secret),
    )
    .build()
    .expect("config");
    let tokens = Arc::new(TokenManager::new(config).expect("runtime"));
    let client =
        revault_auth::middleware::reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::new(tokens))
            .build();

    let answer = client
        .get(server.url("/accounts"))
        .send()
        .await
        .expect("request");

    assert_eq!(answer.status(), 200, "the emulator accepted the token");
    assert_eq!(server.protected_requests(), 1);
    assert_eq!(server.token_requests(), 1);
}
