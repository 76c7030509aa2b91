//! A token the server revoked is reported by the callers that got a 401:
//! fifty reports for one token cause one new request.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth::tokio::TokenManager;
use revault_auth_mock::MockServer;

async fn call(
    client: &reqwest::Client,
    url: &str,
    manager: &TokenManager,
) -> (u16, Arc<revault_auth::AccessToken>) {
    let token = manager.token_owned().await.expect("token");
    let status = client
        .get(url)
        .header(reqwest::header::AUTHORIZATION, token.header_value().clone())
        .send()
        .await
        .expect("protected call")
        .status()
        .as_u16();
    (status, token)
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_reports_of_one_revoked_token_cause_one_request() {
    let server = MockServer::start(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .await
    .expect("emulator");
    let manager =
        Arc::new(TokenManager::new(config_for(&server).build().expect("config")).expect("runtime"));
    let client = reqwest::Client::new();
    let url = server.url("/accounts");

    let (status, first) = call(&client, &url, &manager).await;
    assert_eq!(status, 200);
    server.revoke_access_token(first.secret().expose_secret());
    let before = server.token_requests() + server.refresh_requests();
    assert_eq!(before, 1);

    // Fifty calls made with the revoked token all fail, then all report it.
    let mut reports = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, url, manager, token) = (
            client.clone(),
            url.clone(),
            Arc::clone(&manager),
            Arc::clone(&first),
        );
        reports.spawn(async move {
            let status = client
                .get(&url)
                .header(reqwest::header::AUTHORIZATION, token.header_value().clone())
                .send()
                .await
                .expect("protected call")
                .status()
                .as_u16();
            assert_eq!(status, 401);
            manager.invalidate(&token)
        });
    }
    let withdrawn = reports
        .join_all()
        .await
        .into_iter()
        .filter(|withdrawn| *withdrawn)
        .count();
    assert_eq!(withdrawn, 1, "only the first report withdraws the token");

    // The next call gets a new token that works.
    let (status, second) = call(&client, &url, &manager).await;
    assert_eq!(status, 200);
    assert_eq!(second.generation().get(), 2);
    // Late reports about the old token change nothing.
    assert!(!manager.invalidate(&first));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = server.token_requests() + server.refresh_requests();
    assert_eq!(after - before, 1, "one new request for fifty reports");
    assert_eq!(server.refresh_requests(), 1);
    manager.try_token().expect("still served");
}
