//! Request log and counters.

mod common;

use std::time::Instant;

use common::*;
use revault_auth_mock::{Endpoint, Fault, LogCursor, MockConfig, Target};
use serde_json::json;

#[tokio::test]
async fn log_records_endpoint_status_workspace_and_key_id() {
    let before = Instant::now();
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let mut wrong = credentials(server.config());
    wrong["apiKeySecret"] = json!("nope");
    post_json(&client, &server.url("/auth/token"), &wrong).await;
    refresh(&client, &server, token_str(&body, "refreshToken")).await;
    client
        .post(server.url("/auth/token/refresh"))
        .body("junk")
        .send()
        .await
        .expect("send");

    let log = server.log();
    assert_eq!(log.len(), 4);
    assert_eq!(
        log.iter()
            .map(|r| (r.endpoint, r.status))
            .collect::<Vec<_>>(),
        [
            (Endpoint::Token, Some(200)),
            (Endpoint::Token, Some(401)),
            (Endpoint::Refresh, Some(200)),
            (Endpoint::Refresh, Some(400)),
        ]
    );
    for entry in &log[..3] {
        assert_eq!(entry.workspace.as_deref(), Some("demo-workspace"));
        assert_eq!(
            entry.api_key_id.as_deref(),
            Some("demo-key-id"),
            "{entry:?}"
        );
        assert_eq!(entry.fault, None);
    }
    assert_eq!(log[3].workspace, None);
    assert_eq!(log[3].api_key_id, None);
    assert!(log[0].at >= before);
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(log[3].at <= Instant::now());
}

#[tokio::test]
async fn log_never_holds_secrets_or_tokens() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let body = authenticate(&client, &server).await;
    let refresh_token = token_str(&body, "refreshToken").to_owned();
    refresh(&client, &server, &refresh_token).await;
    let dump = format!("{:?}", server.log());
    assert!(!dump.contains(&server.config().api_key_secret), "{dump}");
    assert!(!dump.contains(token_str(&body, "accessToken")));
    assert!(!dump.contains(&refresh_token));
}

#[tokio::test]
async fn log_records_applied_faults() {
    let server = start(MockConfig::default()).await;
    server.push_fault(Target::Token, Fault::status(503));
    post_credentials(&client(), &server).await;
    let log = server.log();
    assert_eq!(log[0].status, Some(503));
    assert!(matches!(
        log[0].fault,
        Some(Fault::Status { status: 503, .. })
    ));
    server.clear_log();
    assert!(server.log().is_empty());
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn counters_count_each_kind_of_request() {
    let server = start(MockConfig::default()).await;
    let client = client();
    assert_eq!(
        (
            server.token_requests(),
            server.refresh_requests(),
            server.protected_requests()
        ),
        (0, 0, 0)
    );
    let body = authenticate(&client, &server).await;
    authenticate(&client, &server).await;
    refresh(&client, &server, token_str(&body, "refreshToken")).await;
    refresh(&client, &server, token_str(&body, "refreshToken")).await; // 401, still counted
    refresh(&client, &server, "x").await;
    get_protected(
        &client,
        &server,
        "/a",
        Some(token_str(&body, "accessToken")),
    )
    .await;
    get_protected(&client, &server, "/b", None).await;
    // 405s are not auth requests.
    client
        .get(server.url("/auth/token"))
        .send()
        .await
        .expect("send");
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.refresh_requests(), 3);
    assert_eq!(server.protected_requests(), 2);
    assert_eq!(server.log().len(), 5);
}

#[tokio::test]
async fn log_cursor_hands_out_each_settled_entry_once() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let mut cursor = LogCursor::default();
    assert!(cursor.settled(&server.log()).is_empty());
    let body = authenticate(&client, &server).await;
    let first = cursor.settled(&server.log());
    assert_eq!(
        first
            .iter()
            .map(|r| (r.endpoint, r.status))
            .collect::<Vec<_>>(),
        [(Endpoint::Token, Some(200))]
    );
    assert!(cursor.settled(&server.log()).is_empty(), "handed out twice");
    refresh(&client, &server, token_str(&body, "refreshToken")).await;
    authenticate(&client, &server).await;
    let next = cursor.settled(&server.log());
    assert_eq!(
        next.iter()
            .map(|r| (r.endpoint, r.status))
            .collect::<Vec<_>>(),
        [(Endpoint::Refresh, Some(200)), (Endpoint::Token, Some(200))]
    );
}
