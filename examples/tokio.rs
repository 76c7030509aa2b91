//! Keep a token with the tokio adapter and call a protected resource with it.
//!
//! `cargo run --example tokio` runs against an in-process emulator when no
//! `REVAULT_*` variable is set; set `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
//! `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET` to use a real
//! revault-api (a broken setting is reported, not replaced by the emulator).

use std::time::Duration;

use revault_auth::tokio::TokenManager;

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = common::api()?;
    let base = api.base_url.clone();
    let tokens = TokenManager::new(api.config.clone())?;
    let client = reqwest::Client::new();
    for call in 1..=3 {
        let token = tokens.token_owned().await?;
        let answer = client
            .get(format!("{base}/accounts"))
            .header(http::header::AUTHORIZATION, token.header_value().clone())
            .send()
            .await?;
        if answer.status() == reqwest::StatusCode::UNAUTHORIZED {
            tokens.invalidate(&token);
        }
        println!(
            "call {call}: token generation {}, HTTP {}",
            token.generation().get(),
            answer.status()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokens.shutdown().await;
    Ok(())
}
