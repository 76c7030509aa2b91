//! `POST /auth/token`: success, credentials, workspace, token contents.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use revault_auth_mock::{MockConfig, TokenKind};
use serde_json::{Value, json};

#[tokio::test]
async fn authenticate_ok_returns_the_four_fields() {
    let server = start(MockConfig::default()).await;
    let body = authenticate(&client(), &server).await;
    let object = body.as_object().expect("object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "accessToken",
            "expiresInSeconds",
            "refreshExpiresInSeconds",
            "refreshToken"
        ]
    );
    assert!(body["accessToken"].is_string());
    assert!(body["refreshToken"].is_string());
    assert_eq!(body["expiresInSeconds"].as_f64(), Some(300.0));
    assert_eq!(body["refreshExpiresInSeconds"].as_f64(), Some(1800.0));
    assert_ne!(body["accessToken"], body["refreshToken"]);
}

#[tokio::test]
async fn fractional_ttls_are_reported_as_json_numbers() {
    let cfg =
        MockConfig::default().with_ttls(Duration::from_secs_f64(2.0), Duration::from_millis(500));
    let server = start(cfg).await;
    let body = authenticate(&client(), &server).await;
    assert!(body["expiresInSeconds"].is_number());
    assert!(body["refreshExpiresInSeconds"].is_number());
    assert_eq!(body["expiresInSeconds"].as_f64(), Some(2.0));
    assert_eq!(body["refreshExpiresInSeconds"].as_f64(), Some(0.5));
}

#[tokio::test]
async fn jwt_carries_iat_exp_sub_ws_jti() {
    let server = start(MockConfig::default()).await;
    let body = authenticate(&client(), &server).await;
    for (field, ttl, typ) in [
        ("accessToken", 300, "access"),
        ("refreshToken", 1800, "refresh"),
    ] {
        let token = token_str(&body, field);
        assert_eq!(
            token.split('.').count(),
            3,
            "{field} is a JWS compact token"
        );
        // Decoded independently of the server's key.
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).expect("claims");
        let iat = claims["iat"].as_u64().expect("iat");
        let exp = claims["exp"].as_u64().expect("exp");
        assert!((ttl..=ttl + 1).contains(&(exp - iat)), "{claims}");
        assert_eq!(claims["sub"], "demo-key-id");
        assert_eq!(claims["ws"], "demo-workspace");
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        assert_eq!(claims["typ"], typ);
        let header = jsonwebtoken::decode_header(token).expect("header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    }
    // And the server verifies its own signature.
    let claims = server
        .claims(token_str(&body, "accessToken"))
        .expect("signed here");
    assert_eq!(claims.typ, TokenKind::Access);
}

#[tokio::test]
async fn every_token_has_a_unique_jti() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let mut jtis = HashSet::new();
    for _ in 0..5 {
        let body = authenticate(&client, &server).await;
        for field in ["accessToken", "refreshToken"] {
            let claims = server.claims(token_str(&body, field)).expect("claims");
            assert!(jtis.insert(claims.jti));
        }
    }
}

#[tokio::test]
async fn tokens_from_another_server_are_not_valid_here() {
    let one = start(MockConfig::default()).await;
    let two = start(MockConfig::default()).await;
    let body = authenticate(&client(), &one).await;
    assert!(two.claims(token_str(&body, "accessToken")).is_none());
    let response = get_protected(
        &client(),
        &two,
        "/vaults",
        Some(token_str(&body, "accessToken")),
    )
    .await;
    expect_error(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn wrong_secret_is_401() {
    let server = start(MockConfig::default()).await;
    let mut body = credentials(server.config());
    body["apiKeySecret"] = json!("not-the-secret");
    let response = post_json(&client(), &server.url("/auth/token"), &body).await;
    expect_error(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn unknown_key_id_is_401() {
    let server = start(MockConfig::default()).await;
    let mut body = credentials(server.config());
    body["apiKeyId"] = json!("someone-else");
    let response = post_json(&client(), &server.url("/auth/token"), &body).await;
    expect_error(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn workspace_the_key_does_not_belong_to_is_403() {
    let server = start(MockConfig::default()).await;
    let mut body = credentials(server.config());
    body["workspace"] = json!("other-workspace");
    let response = post_json(&client(), &server.url("/auth/token"), &body).await;
    expect_error(response, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn custom_credentials_are_honoured() {
    let cfg = MockConfig {
        workspace: "acme".into(),
        api_key_id: "key-1".into(),
        api_key_secret: "s3cret".into(),
        ..MockConfig::default()
    };
    let server = start(cfg).await;
    let body = authenticate(&client(), &server).await;
    let claims = server
        .claims(token_str(&body, "accessToken"))
        .expect("claims");
    assert_eq!((claims.ws.as_str(), claims.sub.as_str()), ("acme", "key-1"));
}

#[tokio::test]
async fn extra_body_fields_are_accepted() {
    let server = start(MockConfig::default()).await;
    let mut body = credentials(server.config());
    body["extra"] = json!({"nested": [1, 2, 3]});
    let response = post_json(&client(), &server.url("/auth/token"), &body).await;
    assert_eq!(response.status(), 200);
}

#[test]
fn config_debug_redacts_the_secret() {
    let cfg = MockConfig::default();
    let debug = format!("{cfg:?}");
    assert!(!debug.contains(&cfg.api_key_secret), "{debug}");
    assert!(debug.contains("demo-key-id"));
}
