//! Fault injection: one-shot and persistent faults, each kind, targets.

mod common;

use std::time::{Duration, Instant};

use common::*;
use revault_auth_mock::{Endpoint, Fault, MockConfig, Target};

async fn token_status(server: &revault_auth_mock::MockServer) -> u16 {
    post_credentials(&client(), server).await.status().as_u16()
}

#[tokio::test]
async fn one_shot_status_fault_applies_once() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::status(503));
    assert_eq!(server.pending_faults(), 1);
    let response = post_credentials(&client(), &server).await;
    let body = expect_error(response, 503, "SERVICE_UNAVAILABLE").await;
    assert!(body.get("issues").is_none());
    assert_eq!(server.pending_faults(), 0);
    assert_eq!(token_status(&server).await, 200);
}

#[tokio::test]
async fn server_error_follows_the_500_schema() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::server_error());
    let response = post_credentials(&client(), &server).await;
    expect_error(response, 500, "INTERNAL_SERVER_ERROR").await;
}

#[tokio::test]
async fn status_fault_with_custom_body_is_sent_verbatim() {
    let server = start(MockConfig::default()).await;
    server.push_fault(
        Target::Token,
        Fault::status_with_body(502, "<html>bad gateway</html>"),
    );
    let response = post_credentials(&client(), &server).await;
    assert_eq!(response.status(), 502);
    assert_json(&response);
    assert_eq!(
        response.text().await.expect("text"),
        "<html>bad gateway</html>"
    );
}

#[tokio::test]
async fn one_shot_faults_are_used_in_order() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::status(500));
    server.push_fault(Target::Token, Fault::status(502));
    server.push_fault(Target::Token, Fault::status(504));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(token_status(&server).await);
    }
    assert_eq!(statuses, [500, 502, 504, 200]);
}

#[tokio::test]
async fn persistent_fault_applies_until_cleared() {
    let server = start(MockConfig::default()).await;
    server.set_persistent_fault(Target::Token, Some(Fault::status(503)));
    for _ in 0..3 {
        assert_eq!(token_status(&server).await, 503);
    }
    // One-shot faults take precedence over the persistent one.
    server.push_fault(Target::Token, Fault::status(500));
    assert_eq!(token_status(&server).await, 500);
    assert_eq!(token_status(&server).await, 503);
    server.set_persistent_fault(Target::Token, None);
    assert_eq!(token_status(&server).await, 200);
    server.set_persistent_fault(Target::Both, Some(Fault::status(503)));
    server.clear_faults();
    assert_eq!(token_status(&server).await, 200);
}

#[tokio::test]
async fn targets_select_the_endpoint() {
    let server = start(MockConfig::default()).await;
    let client = client();
    server.push_fault(Target::Refresh, Fault::status(500));
    // Not consumed by a token request.
    let body = authenticate(&client, &server).await;
    assert_eq!(server.pending_faults(), 1);
    let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
    assert_eq!(response.status(), 500);
    // The fault answered before the token was looked at: it is still usable.
    let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");

    server.push_fault(Target::Both, Fault::status(503));
    server.push_fault(Target::Both, Fault::status(504));
    let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(token_status(&server).await, 504);

    server.set_persistent_fault(Target::Both, Some(Fault::status(502)));
    assert_eq!(token_status(&server).await, 502);
    assert_eq!(refresh(&client, &server, "x").await.status(), 502);
    server.set_persistent_fault(Target::Refresh, None);
    assert_eq!(token_status(&server).await, 502);
    assert_eq!(refresh(&client, &server, "x").await.status(), 401);
}

#[tokio::test]
async fn faults_apply_to_invalid_requests_too() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::status(503));
    let response = client()
        .post(server.url("/auth/token"))
        .body("garbage")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn delay_then_normal_answer() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::delay(Duration::from_millis(300)));
    let started = Instant::now();
    assert_eq!(token_status(&server).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn delay_triggers_client_timeouts() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::delay(Duration::from_secs(2)));
    let result = client()
        .post(server.url("/auth/token"))
        .json(&credentials(server.config()))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(result.expect_err("times out").is_timeout());
    // The abandoned request is logged without a status.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.log()[0].status, None);
}

#[tokio::test]
async fn delayed_fault_waits_then_applies() {
    let server = start(MockConfig::default()).await;
    server.push_fault(
        Target::Token,
        Fault::status(503).after(Duration::from_millis(250)),
    );
    let started = Instant::now();
    assert_eq!(token_status(&server).await, 503);
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn rate_limited_429_has_retry_after_and_rate_limit_headers() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::rate_limited(7));
    let response = post_credentials(&client(), &server).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("retry-after").as_deref(), Some("7"));
    assert_eq!(header("x-ratelimit-limit").as_deref(), Some("100"));
    assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(header("x-ratelimit-reset").as_deref(), Some("7"));
    expect_error(response, 429, "TOO_MANY_REQUESTS").await;
}

#[tokio::test]
async fn rate_limited_420_enhance_your_calm() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Refresh, Fault::enhance_your_calm(3));
    server.push_fault(
        Target::Token,
        Fault::RateLimited {
            status: 429,
            retry_after_secs: 1,
            limit: 10,
            remaining: 2,
            reset_secs: 30,
        },
    );
    let response = refresh(&client(), &server, "whatever").await;
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    expect_error(response, 420, "ENHANCE_YOUR_CALM").await;
    let response = post_credentials(&client(), &server).await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        response
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    assert_eq!(
        response
            .headers()
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok()),
        Some("30")
    );
}

#[tokio::test]
async fn malformed_ok_body_is_sent_as_is() {
    let server = start(MockConfig::default()).await;
    server.push_fault(
        Target::Token,
        Fault::malformed_ok(&b"{\"accessToken\": \xff"[..]),
    );
    server.push_fault(Target::Token, Fault::malformed_ok(r#"{"accessToken": 1}"#));
    let response = post_credentials(&client(), &server).await;
    assert_eq!(response.status(), 200);
    assert_json(&response);
    assert_eq!(
        &response.bytes().await.expect("bytes")[..],
        b"{\"accessToken\": \xff"
    );
    let response = post_credentials(&client(), &server).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.expect("text"),
        r#"{"accessToken": 1}"#
    );
}

#[tokio::test]
async fn redirect_is_307_with_location() {
    let server = start(MockConfig::default()).await;
    server.push_fault(
        Target::Token,
        Fault::redirect("http://127.0.0.1:9/elsewhere"),
    );
    let response = post_credentials(&client(), &server).await;
    assert_eq!(response.status(), 307);
    assert_json(&response);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("http://127.0.0.1:9/elsewhere")
    );
}

#[tokio::test]
async fn redirect_to_self_is_followed_by_a_following_client() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::redirect(server.url("/auth/token")));
    // reqwest's default client follows 307 with the same method and body.
    let response = reqwest::Client::new()
        .post(server.url("/auth/token"))
        .json(&credentials(server.config()))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn close_connection_gives_no_answer() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::close_connection());
    let result = client()
        .post(server.url("/auth/token"))
        .json(&credentials(server.config()))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let error = result.expect_err("no answer");
    assert!(!error.is_timeout(), "closed, not hung: {error:?}");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    let log = server.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].fault, Some(Fault::CloseConnection));
    // The server goes on serving.
    assert_eq!(token_status(&server).await, 200);
}

#[tokio::test]
async fn unauthorized_fault_makes_refresh_401() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    server.set_persistent_fault(Target::Refresh, Some(Fault::unauthorized()));
    let response = refresh(&client, &server, token_str(&body, "refreshToken")).await;
    expect_error(response, 401, "UNAUTHORIZED").await;
    // Authentication is not affected.
    assert_eq!(token_status(&server).await, 200);
    let log = server.log();
    assert_eq!(log[1].endpoint, Endpoint::Refresh);
    assert_eq!(log[1].status, Some(401));
    assert_eq!(log[1].fault, Some(Fault::Unauthorized));
}

#[tokio::test]
async fn invalid_fault_parameters_do_not_crash_the_server() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::status_with_body(1000, "{}"));
    server.push_fault(Target::Token, Fault::redirect("bad\nlocation"));
    assert_eq!(token_status(&server).await, 500);
    assert_eq!(token_status(&server).await, 500);
    assert_eq!(token_status(&server).await, 200);
}
