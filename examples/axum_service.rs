//! An axum service that calls revault-api on behalf of its own clients,
//! through a reqwest client wrapped in the auth middleware: every request to
//! the API's origin carries a valid token, a 401 gets one retry with a new
//! token, and handlers never see a token at all.
//!
//! `cargo run --example axum_service` starts the service on a free loopback
//! port, calls it three times and exits; with `SERVE=1` it keeps serving
//! (`curl http://127.0.0.1:PORT/accounts`). revault-api is an in-process
//! emulator unless the `REVAULT_*` variables are set.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use revault_auth::middleware::AuthMiddleware;
use revault_auth::middleware::reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use revault_auth::tokio::TokenManager;

mod common;

/// What every handler shares: the authenticated client and the API's base.
#[derive(Clone)]
struct Revault {
    client: ClientWithMiddleware,
    base_url: Arc<str>,
}

/// `GET /accounts`: relays revault-api's accounts.
async fn accounts(State(revault): State<Revault>) -> Result<String, (StatusCode, String)> {
    let answer = revault
        .client
        .get(format!("{}/accounts", revault.base_url))
        .send()
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))?;
    let status = answer.status();
    let body = answer
        .text()
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))?;
    Ok(format!("revault-api answered {status}: {body}\n"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = common::api()?;
    let tokens = TokenManager::new(api.config.clone())?;
    let revault = Revault {
        client: ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::new(tokens.clone()))
            .build(),
        base_url: api.base_url.as_str().into(),
    };
    let app = axum::Router::new()
        .route("/accounts", get(accounts))
        .with_state(revault);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    println!("serving on http://{address}/accounts");
    if std::env::var_os("SERVE").is_some() {
        axum::serve(listener, app).await?;
        return Ok(());
    }
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    for call in 1..=3 {
        let answer = reqwest::get(format!("http://{address}/accounts")).await?;
        println!(
            "call {call}: {} {}",
            answer.status(),
            answer.text().await?.trim()
        );
    }
    server.abort();
    tokens.shutdown().await;
    Ok(())
}
