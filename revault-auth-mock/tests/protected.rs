//! Protected resources under the base path: bearer access tokens, expiry, revocation.

mod common;

use std::time::Duration;

use common::*;
use revault_auth_mock::MockConfig;

#[tokio::test]
async fn valid_access_token_gets_200_json() {
    let server = start(MockConfig::default()).await;
    let response = get_with_issued(&server, "/vaults/42", "accessToken").await;
    assert_eq!(response.status(), 200);
    assert_json(&response);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["ok"], true);
    assert_eq!(body["path"], "/v1/rest/vaults/42");
    assert_eq!(body["workspace"], "demo-workspace");
    assert_eq!(server.protected_requests(), 1);
}

#[tokio::test]
async fn any_method_and_path_under_the_base_is_protected() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let token = token_str(&body, "accessToken");
    for (method, path) in [
        (reqwest::Method::POST, "/vaults"),
        (reqwest::Method::DELETE, "/a/b/c"),
        (reqwest::Method::PUT, "/auth/other"),
        (reqwest::Method::GET, "/auth/token/"),
        (reqwest::Method::GET, ""),
        (reqwest::Method::GET, "/"),
    ] {
        let url = server.url(path);
        let ok = client
            .request(method.clone(), &url)
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        assert_eq!(ok.status(), 200, "{method} {url}");
        let denied = client
            .request(method.clone(), &url)
            .send()
            .await
            .expect("send");
        expect_error(denied, 401, "UNAUTHORIZED").await;
    }
    assert_eq!(server.protected_requests(), 12);
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let token = token_str(&body, "accessToken");
    let response = get_protected(&client, &server, "/x", None).await;
    expect_error(response, 401, "UNAUTHORIZED").await;
    for header in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Bearer garbage".to_owned(),
        format!("Basic {token}"),
        format!("Bearer {token}x"),
        token.to_owned(),
    ] {
        let response = client
            .get(server.url("/x"))
            .header("authorization", header.as_str())
            .send()
            .await
            .expect("send");
        expect_error(response, 401, "UNAUTHORIZED").await;
    }
    // The scheme is case-insensitive.
    let response = client
        .get(server.url("/x"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn refresh_token_is_not_a_bearer_token() {
    let server = start(MockConfig::default()).await;
    let response = get_with_issued(&server, "/x", "refreshToken").await;
    expect_error(response, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn expired_access_token_is_401() {
    let cfg = MockConfig::default().with_ttls(Duration::from_millis(300), Duration::from_secs(60));
    let server = start(cfg).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let token = token_str(&body, "accessToken");
    assert_eq!(
        get_protected(&client, &server, "/x", Some(token))
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    let response = get_protected(&client, &server, "/x", Some(token)).await;
    expect_expired(response).await;
}

#[tokio::test]
async fn revoking_one_access_token_leaves_the_others_valid() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let one = authenticate(&client, &server).await;
    let two = authenticate(&client, &server).await;
    server.revoke_access_token(token_str(&one, "accessToken"));
    let response =
        get_protected(&client, &server, "/x", Some(token_str(&one, "accessToken"))).await;
    let error = expect_error(response, 401, "UNAUTHORIZED").await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked")),
        "{error}"
    );
    let response =
        get_protected(&client, &server, "/x", Some(token_str(&two, "accessToken"))).await;
    assert_eq!(response.status(), 200);
    // Revoking garbage is a no-op.
    server.revoke_access_token("garbage");
}

#[tokio::test]
async fn revoke_all_revokes_current_tokens_only() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let one = authenticate(&client, &server).await;
    let two = authenticate(&client, &server).await;
    server.revoke_all();
    for body in [&one, &two] {
        let response =
            get_protected(&client, &server, "/x", Some(token_str(body, "accessToken"))).await;
        expect_error(response, 401, "UNAUTHORIZED").await;
    }
    // Refresh tokens still work and give valid access tokens.
    let response = refresh(&client, &server, token_str(&one, "refreshToken")).await;
    assert_eq!(response.status(), 200);
    let fresh: serde_json::Value = response.json().await.expect("json");
    let response = get_protected(
        &client,
        &server,
        "/x",
        Some(token_str(&fresh, "accessToken")),
    )
    .await;
    assert_eq!(response.status(), 200);
}
