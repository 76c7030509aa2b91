//! `POST /auth/token/refresh`: rotation, single use, expiry, workspace.

mod common;

use std::time::Duration;

use common::*;
use revault_auth_mock::MockConfig;
use serde_json::json;

#[tokio::test]
async fn refresh_returns_a_new_pair() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let first = authenticate(&client, &server).await;
    let response = refresh(&client, &server, token_str(&first, "refreshToken")).await;
    assert_eq!(response.status(), 200);
    assert_json(&response);
    let second: serde_json::Value = response.json().await.expect("json");
    assert_eq!(second.as_object().map(|o| o.len()), Some(4));
    assert_ne!(first["accessToken"], second["accessToken"]);
    assert_ne!(first["refreshToken"], second["refreshToken"]);
    assert_eq!(second["expiresInSeconds"].as_f64(), Some(300.0));
    // Both the old and the new access token are valid.
    for body in [&first, &second] {
        let response =
            get_protected(&client, &server, "/x", Some(token_str(body, "accessToken"))).await;
        assert_eq!(response.status(), 200);
    }
    let claims = server
        .claims(token_str(&second, "accessToken"))
        .expect("claims");
    assert_eq!(claims.sub, "demo-key-id");
}

#[tokio::test]
async fn refresh_token_is_single_use() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let first = authenticate(&client, &server).await;
    let token = token_str(&first, "refreshToken");
    assert_eq!(refresh(&client, &server, token).await.status(), 200);
    let again = refresh(&client, &server, token).await;
    expect_error(again, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn rotated_refresh_token_chain_works() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let mut body = authenticate(&client, &server).await;
    for _ in 0..5 {
        let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
        assert_eq!(response.status(), 200);
        body = response.json().await.expect("json");
    }
    assert_eq!(server.refresh_requests(), 5);
}

#[tokio::test]
async fn expired_refresh_token_is_401() {
    let cfg = MockConfig::default().with_ttls(Duration::from_secs(60), Duration::from_millis(300));
    let server = start(cfg).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
    expect_expired(response).await;
}

#[tokio::test]
async fn unknown_or_garbage_refresh_token_is_401() {
    let server = start(MockConfig::default()).await;
    let client = client();
    for token in ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"] {
        let response = refresh(&client, &server, token).await;
        expect_error(response, 401, "UNAUTHORIZED").await;
    }
}

#[tokio::test]
async fn access_token_is_not_a_refresh_token() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let response = refresh(&client, &server, token_str(&body, "accessToken")).await;
    expect_error(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn refresh_for_another_workspace_is_403_and_keeps_the_token() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let token = token_str(&body, "refreshToken");
    let response = post_json(
        &client,
        &server.url("/auth/token/refresh"),
        &json!({"workspace": "other-workspace", "refreshToken": token}),
    )
    .await;
    expect_error(response, 403, "FORBIDDEN").await;
    assert_eq!(refresh(&client, &server, token).await.status(), 200);
}

#[tokio::test]
async fn revoked_refresh_tokens_are_401() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    server.revoke_refresh_tokens();
    let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
    expect_error(response, 401, "UNAUTHORIZED").await;
    // New ones work.
    let body = authenticate(&client, &server).await;
    assert_eq!(
        refresh(&client, &server, token_str(&body, "refreshToken"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn issue_tokens_seeds_a_usable_pair() {
    let server = start(MockConfig::default()).await;
    let tokens = server
        .issue_tokens("demo-workspace", "demo-key-id")
        .expect("tokens");
    let response = get_protected(&client(), &server, "/x", Some(&tokens.access_token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        refresh(&client(), &server, &tokens.refresh_token)
            .await
            .status(),
        200
    );
}
