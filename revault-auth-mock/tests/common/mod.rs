//! Helpers shared by the integration tests.
#![allow(dead_code)]

use revault_auth_mock::{MockConfig, MockServer};
use serde_json::{Value, json};

/// An async client that does not follow redirects.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) fn credentials(cfg: &MockConfig) -> Value {
    json!({
        "workspace": cfg.workspace,
        "apiKeyId": cfg.api_key_id,
        "apiKeySecret": cfg.api_key_secret,
    })
}

pub(crate) async fn start(cfg: MockConfig) -> MockServer {
    MockServer::start(cfg).await.expect("start mock server")
}

pub(crate) async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
) -> reqwest::Response {
    client.post(url).json(body).send().await.expect("send")
}

/// `POST /auth/token` with the server's own credentials; returns the
/// response, whatever it is.
pub(crate) async fn post_credentials(
    client: &reqwest::Client,
    server: &MockServer,
) -> reqwest::Response {
    post_json(
        client,
        &server.url("/auth/token"),
        &credentials(server.config()),
    )
    .await
}

/// `POST /auth/token` with the server's own credentials; returns the 200 body.
pub(crate) async fn authenticate(client: &reqwest::Client, server: &MockServer) -> Value {
    let response = post_credentials(client, server).await;
    assert_eq!(response.status(), 200);
    assert_json(&response);
    response.json().await.expect("json body")
}

/// `POST /auth/token/refresh`.
pub(crate) async fn refresh(
    client: &reqwest::Client,
    server: &MockServer,
    refresh_token: &str,
) -> reqwest::Response {
    post_json(
        client,
        &server.url("/auth/token/refresh"),
        &json!({ "workspace": server.config().workspace, "refreshToken": refresh_token }),
    )
    .await
}

/// `GET` a protected resource with an optional bearer token.
pub(crate) async fn get_protected(
    client: &reqwest::Client,
    server: &MockServer,
    path: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = client.get(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("send")
}

/// Authenticates with a fresh client, then `GET`s `path` with the token
/// the answer holds in `field` as bearer token.
pub(crate) async fn get_with_issued(
    server: &MockServer,
    path: &str,
    field: &str,
) -> reqwest::Response {
    let client = client();
    let body = authenticate(&client, server).await;
    get_protected(&client, server, path, Some(token_str(&body, field))).await
}

pub(crate) fn token_str<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field].as_str().expect("token string")
}

pub(crate) fn assert_json(response: &reqwest::Response) {
    assert_eq!(
        response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "content-type of a {} answer",
        response.status()
    );
}

/// Asserts the body follows the spec's error schema (only `message`, `code`, `issues`,
/// with the right types; each issue only `message`) and has the given code.
pub(crate) fn assert_error_schema(body: &Value, code: &str) {
    let object = body.as_object().expect("error body is an object");
    for key in object.keys() {
        assert!(
            ["message", "code", "issues"].contains(&key.as_str()),
            "unexpected key {key:?} in {body}"
        );
    }
    assert!(
        object.get("message").is_some_and(Value::is_string),
        "{body}"
    );
    assert_eq!(
        object.get("code").and_then(Value::as_str),
        Some(code),
        "{body}"
    );
    if let Some(issues) = object.get("issues") {
        let issues = issues.as_array().expect("issues is an array");
        for issue in issues {
            let issue = issue.as_object().expect("issue is an object");
            assert_eq!(issue.len(), 1, "{body}");
            assert!(issue.get("message").is_some_and(Value::is_string), "{body}");
        }
    }
}

/// Reads an error response: checks status, JSON content type and schema; returns the body.
pub(crate) async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_json(&response);
    let body: Value = response.json().await.expect("json error body");
    assert_error_schema(&body, code);
    body
}

/// A 401 that says the token has expired.
pub(crate) async fn expect_expired(response: reqwest::Response) {
    let error = expect_error(response, 401, "UNAUTHORIZED").await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{error}"
    );
}

/// Issue messages of a 400 body.
pub(crate) fn issues(body: &Value) -> Vec<String> {
    body["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| i["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}
