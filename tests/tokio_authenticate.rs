//! The tokio adapter authenticates on first demand, and the token it serves
//! opens a protected resource of the emulator.

mod common;

use std::time::Duration;

use common::{SECRET, config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth_mock::MockServer;

#[tokio::test(flavor = "multi_thread")]
async fn authenticates_on_first_demand() {
    let server = MockServer::start(mock_config(Duration::from_secs(2), Duration::from_secs(30)))
        .await
        .expect("emulator");
    let config = config_for(&server).build().expect("valid config");
    let manager = TokenManager::new(config).expect("inside a runtime");

    // Lazy: nothing is sent before the first demand.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(manager.try_token().is_none());
    assert_eq!(server.token_requests(), 0);

    let token = manager.token().await.expect("a token");
    assert_eq!(token.generation().get(), 1);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);
    let jwt = token.secret().expose_secret().to_owned();
    assert!(
        server.claims(&jwt).is_some(),
        "a JWT signed by the emulator"
    );

    // The fast path now serves the same token.
    let cached = manager.try_token().expect("cached");
    assert_eq!(cached.generation(), token.generation());
    drop((token, cached));

    // The prebuilt header opens a protected resource.
    let header = manager.authorization().await.expect("header");
    assert!(header.is_sensitive());
    let status = reqwest::Client::new()
        .get(server.url("/accounts"))
        .header(reqwest::header::AUTHORIZATION, header)
        .send()
        .await
        .expect("protected call")
        .status();
    assert_eq!(status, 200);

    // No secret in any Debug output.
    let owned = manager.token_owned().await.expect("token");
    for shown in [
        format!("{manager:?}"),
        format!("{owned:?}"),
        format!("{:?}", manager.try_token()),
    ] {
        assert!(!shown.contains(&jwt), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
    assert_eq!(server.token_requests(), 1);
    manager.shutdown().await;
}
