//! Request validation (400), methods (405) and unknown paths (404): all JSON, all
//! following the spec's error schema.

mod common;

use common::*;
use revault_auth_mock::MockConfig;
use serde_json::json;

const TOKEN: &str = "/auth/token";
const REFRESH: &str = "/auth/token/refresh";

async fn post_raw(path: &str, content_type: Option<&str>, body: &'static str) -> serde_json::Value {
    let server = start(MockConfig::default()).await;
    let mut request = client().post(server.url(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("send");
    let body = expect_error(response, 400, "BAD_REQUEST").await;
    assert!(!issues(&body).is_empty(), "400 bodies list issues: {body}");
    body
}

#[tokio::test]
async fn body_that_is_not_json_is_400() {
    for path in [TOKEN, REFRESH] {
        post_raw(path, Some("application/json"), "{not json").await;
        post_raw(path, Some("application/json"), "").await;
    }
}

#[tokio::test]
async fn wrong_content_type_is_400() {
    let body = post_raw(
        TOKEN,
        Some("text/plain"),
        r#"{"workspace":"demo-workspace","apiKeyId":"demo-key-id","apiKeySecret":"x"}"#,
    )
    .await;
    assert!(issues(&body)[0].contains("Content-Type"), "{body}");
    post_raw(
        REFRESH,
        Some("application/x-www-form-urlencoded"),
        "workspace=a&refreshToken=b",
    )
    .await;
}

#[tokio::test]
async fn missing_content_type_is_400() {
    post_raw(
        TOKEN,
        None,
        r#"{"workspace":"w","apiKeyId":"k","apiKeySecret":"s"}"#,
    )
    .await;
}

#[tokio::test]
async fn content_type_with_charset_is_accepted() {
    let server = start(MockConfig::default()).await;
    let response = client()
        .post(server.url(TOKEN))
        .header("content-type", "application/json; charset=utf-8")
        .body(credentials(server.config()).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn json_that_is_not_an_object_is_400() {
    for body in ["[]", "null", "\"text\"", "42", "true"] {
        post_raw(TOKEN, Some("application/json"), body).await;
        post_raw(REFRESH, Some("application/json"), body).await;
    }
}

#[tokio::test]
async fn missing_fields_are_400_with_one_issue_each() {
    let body = post_raw(TOKEN, Some("application/json"), r#"{"workspace":"w"}"#).await;
    let issues = issues(&body);
    assert_eq!(issues.len(), 2, "{body}");
    assert!(issues.iter().any(|i| i.contains("apiKeyId")));
    assert!(issues.iter().any(|i| i.contains("apiKeySecret")));
    let body = post_raw(REFRESH, Some("application/json"), "{}").await;
    assert_eq!(body["issues"].as_array().map(Vec::len), Some(2), "{body}");
}

#[tokio::test]
async fn fields_of_the_wrong_type_are_400() {
    let server = start(MockConfig::default()).await;
    let client = client();
    for (field, value) in [
        ("workspace", json!(1)),
        ("apiKeyId", json!(null)),
        ("apiKeySecret", json!(["s"])),
        ("apiKeySecret", json!({"s": 1})),
        ("apiKeyId", json!(false)),
    ] {
        let mut body = credentials(server.config());
        body[field] = value;
        let response = post_json(&client, &server.url(TOKEN), &body).await;
        let error = expect_error(response, 400, "BAD_REQUEST").await;
        assert!(issues(&error)[0].starts_with(field), "{error}");
    }
    let response = post_json(
        &client,
        &server.url(REFRESH),
        &json!({"workspace": "demo-workspace", "refreshToken": 12}),
    )
    .await;
    expect_error(response, 400, "BAD_REQUEST").await;
}

#[tokio::test]
async fn oversized_body_is_400() {
    let server = start(MockConfig::default()).await;
    let big = "x".repeat(200 * 1024);
    let response = post_json(
        &client(),
        &server.url(TOKEN),
        &json!({"workspace": big, "apiKeyId": "k", "apiKeySecret": "s"}),
    )
    .await;
    expect_error(response, 400, "BAD_REQUEST").await;
}

#[tokio::test]
async fn deeply_nested_json_is_400_not_a_crash() {
    let server = start(MockConfig::default()).await;
    let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let response = client()
        .post(server.url(TOKEN))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("send");
    expect_error(response, 400, "BAD_REQUEST").await;
    // Still serving.
    authenticate(&client(), &server).await;
}

#[tokio::test]
async fn other_methods_on_auth_endpoints_are_405_json() {
    let server = start(MockConfig::default()).await;
    let client = client();
    for path in [TOKEN, REFRESH] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
            reqwest::Method::PATCH,
            reqwest::Method::OPTIONS,
        ] {
            let response = client
                .request(method.clone(), server.url(path))
                .send()
                .await
                .expect("send");
            assert_eq!(
                response
                    .headers()
                    .get("allow")
                    .and_then(|v| v.to_str().ok()),
                Some("POST")
            );
            expect_error(response, 405, "METHOD_NOT_ALLOWED").await;
        }
    }
    assert_eq!(server.token_requests() + server.refresh_requests(), 0);
}

#[tokio::test]
async fn paths_outside_the_base_are_404_json() {
    let server = start(MockConfig::default()).await;
    let url = format!("http://{}/auth/token", server.addr());
    let response = client().post(url).send().await.expect("send");
    expect_error(response, 404, "NOT_FOUND").await;
}
